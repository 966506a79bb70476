//! The background scheduler started by `art60 serve`: every `interval` it scans for the
//! time-based notifications and delivers due e-mails. Every process may run one: generation
//! is idempotent and delivery claims rows (see the module above), so a restart or a second
//! process neither loses nor repeats a notification.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{DeliveryConfig, DeliveryReport, Mailer};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    pub interval: StdDuration,
    pub delivery: DeliveryConfig,
}

/// One scheduler: the database, the clock (tests drive it), and the mailer (`None`: no SMTP
/// configured; e-mail rows wait, portal notifications still appear).
#[derive(Clone)]
pub struct Scheduler {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub mailer: Option<Mailer>,
    pub cfg: SchedulerConfig,
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub generated: u64,
    pub delivery: DeliveryReport,
}

impl Scheduler {
    /// One round: generate what is due today, then deliver due e-mails.
    pub async fn tick(&self) -> Result<TickReport> {
        let now = self.clock.now();
        let generated = super::scan(&self.db, now, self.clock.today_brussels()).await?;
        let delivery = match &self.mailer {
            Some(m) => super::deliver(&self.db, self.clock.as_ref(), m, &self.cfg.delivery).await?,
            None => DeliveryReport::default(),
        };
        Ok(TickReport {
            generated,
            delivery,
        })
    }

    /// Runs [`Scheduler::tick`] every interval until `shutdown` turns true; a tick in
    /// progress finishes first (its claimed rows are marked before the task ends).
    pub fn spawn(self, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(self.cfg.interval);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = every.tick() => {
                        match self.tick().await {
                            Ok(r) if r.generated + r.delivery.claimed > 0 => {
                                tracing::info!(generated = r.generated, sent = r.delivery.sent, failed = r.delivery.failed, "notifications");
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "notification scheduler round failed"),
                        }
                    }
                    changed = shutdown.changed() => {
                        if changed.is_err() || *shutdown.borrow() {
                            break;
                        }
                    }
                }
            }
        })
    }
}
