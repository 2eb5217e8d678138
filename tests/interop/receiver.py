#!/usr/bin/env python3
"""A webhook receiver that verifies webhookd's deliveries with code of its own.

It shares nothing with webhookd's C++ but the documents: the Lucca check follows
SPEC.md Part 1 §7.3 (the PHP sample's algorithm), the Standard Webhooks check follows
the reference Python library (standardwebhooks.webhooks.Webhook.verify), the
CloudEvents check the CloudEvents 1.0 spec's required attributes and naming rule, all
with the standard library only. Used by tests/interop to check the wire contract end
to end.

    receiver.py --cert CERT --key KEY --secrets FILE [--scheme lucca|standard_webhooks|both]

FILE holds endpoint secrets, one per line; it is read again on every request, so a
test can add the secret a rotation made. The receiver prints `port N` once it listens
on 127.0.0.1, then one JSON line per request:

    {"path": ..., "status": 200 or 401, "why": ..., "lucca": i or null,
     "standard_webhooks": [i, ...], "event_id": ..., "content_type": ...,
     "data": the event's data as received}

where i are the indexes (in FILE) of the secrets whose signature matched. It answers
200 when every expected scheme verified, no other scheme's headers were sent, and the
body is right (an event object, SPEC.md Part 2
§3.1, or a CloudEvents 1.0 structured-mode event carrying one), 401 otherwise.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import re
import ssl
import sys
import threading
import time

TOLERANCE_SECONDS = 5 * 60
LUCCA_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MEDIA_TYPES = ("application/json", "application/cloudevents+json")


def lucca_match(secrets, timestamp, signature, body):
    """Index of the secret whose Lucca signature is `signature`, or None (SPEC.md §7.3:
    base64(HMAC-SHA256(key = the secret string's bytes, timestamp + "." + body)))."""
    if not LUCCA_TIMESTAMP.match(timestamp or ""):
        raise ValueError("Lucca-Timestamp is not YYYY-MM-DDTHH:MM:SSZ: %r" % timestamp)
    sent = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    if abs(time.time() - sent.timestamp()) > TOLERANCE_SECONDS:
        raise ValueError("Lucca-Timestamp is more than 5 minutes away: %s" % timestamp)
    for i, secret in enumerate(secrets):
        mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                       hashlib.sha256).digest()
        if hmac.compare_digest(base64.b64encode(mac).decode("ascii"), signature or ""):
            return i
    return None


class StandardWebhook:
    """The reference library's Webhook: whsec_ secret, v1 signatures, any one matches."""

    def __init__(self, whsecret):
        if whsecret.startswith("whsec_"):
            whsecret = whsecret[len("whsec_"):]
        self.key = base64.b64decode(whsecret)

    def verify(self, body, msg_id, msg_timestamp, msg_signature):
        timestamp = int(msg_timestamp)
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise ValueError("webhook-timestamp is more than 5 minutes away")
        to_sign = f"{msg_id}.{timestamp}.{body.decode('utf-8')}".encode()
        expected = hmac.new(self.key, to_sign, hashlib.sha256).digest()
        for versioned in msg_signature.split(" "):
            version, signature = versioned.split(",")
            if version != "v1":
                continue
            if hmac.compare_digest(expected, base64.b64decode(signature)):
                return True
        return False


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CE_ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]+$")


def check_event(event):
    """The default body: one event object (SPEC.md Part 2 §3.1)."""
    for name in ("id", "topic", "source", "url"):
        if not isinstance(event.get(name), str) or not event[name]:
            raise ValueError("event.%s is not a non-empty string" % name)
    if event.get("type") != "event":
        raise ValueError("event.type is %r" % event.get("type"))
    if not RFC3339.match(event.get("occurredAt") or ""):
        raise ValueError("event.occurredAt is not a date-time: %r" % event.get("occurredAt"))
    if not isinstance(event.get("data"), dict):
        raise ValueError("event.data is not an object")


def check_cloudevent(ce):
    """A CloudEvents 1.0 event in structured JSON mode (the CloudEvents spec's required
    attributes and naming rule), carrying the default event object (SPEC.md Part 2 §6)."""
    if ce.get("specversion") != "1.0":
        raise ValueError("specversion is %r" % ce.get("specversion"))
    for name in ("id", "source", "type"):
        if not isinstance(ce.get(name), str) or not ce[name]:
            raise ValueError("%s is not a non-empty string" % name)
    for name in ce:
        if not CE_ATTRIBUTE_NAME.match(name):
            raise ValueError("attribute name %r is not lower-case letters and digits" % name)
    if "time" in ce and not RFC3339.match(ce["time"]):
        raise ValueError("time is not RFC 3339: %r" % ce["time"])
    if ce.get("datacontenttype") != "application/json":
        raise ValueError("datacontenttype is %r" % ce.get("datacontenttype"))
    event = ce.get("data")
    if not isinstance(event, dict):
        raise ValueError("data is not the event object")
    check_event(event)
    if event["id"] != ce["id"] or ce["type"] != "com.luccasoftware." + event["topic"]:
        raise ValueError("id or type does not match the event's")
    if ce.get("time") != event["occurredAt"]:
        raise ValueError("time %r is not occurredAt %r" % (ce.get("time"), event["occurredAt"]))
    return event


def whsec_for(secret):
    # docs/signing.md: the key is the secret string's bytes, written whsec_<base64>.
    return "whsec_" + base64.b64encode(secret.encode("utf-8")).decode("ascii")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as webhookd's pool expects
    secrets_file = None
    schemes = ()  # the signature schemes expected, and no other
    output = threading.Lock()  # one thread per connection; one whole line each

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        record = {"path": self.path, "lucca": None, "standard_webhooks": [],
                  "content_type": self.headers.get("Content-Type")}
        try:
            with open(self.secrets_file, encoding="utf-8") as f:
                secrets = [line.strip() for line in f if line.strip()]
            if record["content_type"] not in MEDIA_TYPES:
                raise ValueError("Content-Type %r" % record["content_type"])
            if not (self.headers.get("User-Agent") or "").startswith("webhookd/"):
                raise ValueError("User-Agent %r" % self.headers.get("User-Agent"))
            if not self.headers.get("Api-Version"):
                raise ValueError("no Api-Version")
            envelope = json.loads(body)
            if record["content_type"] == "application/cloudevents+json":
                event = check_cloudevent(envelope)
            else:
                event = envelope
                check_event(event)
            record["event_id"] = event["id"]
            record["data"] = event["data"]
            expected = self.schemes
            sent = {"lucca": "Lucca-Signature" in self.headers,
                    "standard_webhooks": "webhook-signature" in self.headers}
            for scheme in sent:
                if sent[scheme] != (scheme in expected):
                    raise ValueError("%s headers %s" % (
                        scheme, "sent, not expected" if sent[scheme] else "missing"))
            if "lucca" in expected:
                record["lucca"] = lucca_match(secrets, self.headers.get("Lucca-Timestamp"),
                                              self.headers.get("Lucca-Signature"), body)
            if "standard_webhooks" in expected:
                msg_id = self.headers.get("webhook-id")
                if msg_id != event["id"]:
                    raise ValueError("webhook-id %r is not the event's id %r" % (msg_id, event["id"]))
                for i, secret in enumerate(secrets):
                    if StandardWebhook(whsec_for(secret)).verify(
                            body, msg_id, self.headers.get("webhook-timestamp"),
                            self.headers.get("webhook-signature")):
                        record["standard_webhooks"].append(i)
            ok = (("lucca" not in expected or record["lucca"] is not None) and
                  ("standard_webhooks" not in expected or record["standard_webhooks"]))
            record["status"] = 200 if ok else 401
            record["why"] = "" if ok else "no signature matched"
        except Exception as e:  # any malformed header or body is a refusal, logged
            record["status"] = 401
            record["why"] = "%s: %s" % (type(e).__name__, e)
        with self.output:
            print(json.dumps(record), flush=True)
        self.send_response(record["status"])
        self.send_header("Content-Length", "0")
        self.end_headers()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--scheme", choices=("lucca", "standard_webhooks", "both"),
                        default="both", help="the engine's signature_scheme")
    args = parser.parse_args()
    Handler.secrets_file = args.secrets
    Handler.schemes = ("lucca", "standard_webhooks") if args.scheme == "both" else (args.scheme,)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
