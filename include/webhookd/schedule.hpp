// SPDX-License-Identifier: MIT
// schedule/: the timer wheel, the retry schedule and the response policy.
#ifndef WEBHOOKD_SCHEDULE_HPP
#define WEBHOOKD_SCHEDULE_HPP

#include <webhookd/schedule/response_policy.hpp>
#include <webhookd/schedule/retry_schedule.hpp>
#include <webhookd/schedule/timer_wheel.hpp>

#endif // WEBHOOKD_SCHEDULE_HPP
