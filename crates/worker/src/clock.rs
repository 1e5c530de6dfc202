//! The Worker's clock: `Date.now()`, in whole seconds.

use edge_jwt_core::Clock;

pub struct WorkerClock;

impl Clock for WorkerClock {
    fn now(&self) -> u64 {
        worker::Date::now().as_millis() / 1000
    }
}
