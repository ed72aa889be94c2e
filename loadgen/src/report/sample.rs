//! A report of made-up, consistent figures for tests, here and in the
//! study's (`features = ["sample"]`): one window of 1 s over 10 echo
//! connections, served at `msgs` messages a second.

use sockmodes_common::Service;
use sockmodes_models::Model;

use super::LoadReport;
use crate::{CpuWindow, Endings, Fairness, Ramp};

impl LoadReport {
    /// `msgs` messages in 1 s over 10 connections of the non-blocking
    /// client, every one answered: p99 `msgs / 100` µs, p99.9 `msgs / 50`,
    /// max `msgs / 10`; the client used 60% of its core, and no optional
    /// figure is present.
    pub fn sample(msgs: f64) -> LoadReport {
        LoadReport {
            model: Model::NON_BLOCKING,
            service: Service::Echo,
            connections: 10,
            duration_s: 1.0,
            messages: msgs as u64,
            messages_per_s: msgs,
            bytes_per_s: msgs * 64.0,
            p50_us: 50.0,
            p90_us: 80.0,
            p99_us: msgs / 100.0,
            p999_us: msgs / 50.0,
            max_us: msgs / 10.0,
            errors: 0,
            mean_us: 60.0,
            percentiles: vec![[0.0, 10.0], [50.0, 50.0], [100.0, msgs / 10.0]],
            latency_out_of_range: 0,
            rate_requested: None,
            unsent: 0,
            client_threads: 1,
            client_cpu: Some(CpuWindow {
                user_s: 0.1,
                system_s: 0.5,
                wall_s: 1.0,
            }),
            client_cpu_utilization: Some(0.6),
            client_bound: false,
            warnings: vec![],
            answered_per_s: msgs,
            ramp: Ramp {
                warmup_s: 0.5,
                cap_reached: false,
                last_first_answer_ms: Some(3.0),
                first_answer_p50_ms: 1.0,
                first_answer_p99_ms: 3.0,
                first_answer_max_ms: 3.0,
                never_answered: 0,
            },
            fairness: Fairness {
                answers_min: 90,
                answers_p1: 90,
                answers_median: 100,
                answers_max: 110,
                starved: 0,
                starved_connections: vec![],
                jain_index: Some(0.99),
            },
            carried_in: 10,
            carried_in_max_ms: Some(1.0),
            unanswered: 0,
            oldest_unanswered_ms: None,
            send_grid_us: None,
            answered_after_window: 0,
            ended: Endings {
                asked: 10,
                served: 10,
                ..Endings::default()
            },
            kernel_tcp: None,
        }
    }
}
