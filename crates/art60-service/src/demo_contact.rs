//! Demonstration threads and an escalation (CPAS de Namur, UVCW): a request sent six weeks
//! ago with messages both ways and an open escalation, and a request sent a month ago whose
//! thread meets the escalation conditions, so the contact and SPOC pages are not empty.

use chrono::{DateTime, Duration, Utc};

use crate::attachments::Store;
use crate::auth::Actor;
use crate::db::Db;
use crate::error::Result;
use crate::escalations::{self, NewEscalation};
use crate::messages;
use crate::requests::{self, NewRequest};

pub async fn seed(
    db: &Db,
    now: DateTime<Utc>,
    worker: &Actor,
    officer: &Actor,
    new: NewRequest,
    second: NewRequest,
) -> Result<()> {
    let at = |days: i64| now - Duration::days(days);
    let sent_at = at(45);
    let r = requests::create(db, sent_at, sent_at.date_naive(), worker, new).await?;
    let r = requests::send(
        db,
        sent_at,
        sent_at.date_naive(),
        worker,
        r.id,
        Some(r.version),
    )
    .await?;
    let store = Store::Database;
    for (days, (who, text)) in [
        (
            40,
            (
                "cpas",
                "Bonjour, pouvez-vous nous dire quand la demande sera traitée ? La date de \
                 fin du contrat conditionne le paiement.",
            ),
        ),
        (
            38,
            (
                "onem",
                "Bonjour, la demande est en cours ; il manque une vérification des périodes \
                 à l'étranger.",
            ),
        ),
        (
            20,
            (
                "cpas",
                "Nous revenons vers vous : toujours pas de réponse, le paiement est bloqué \
                 depuis plus d'un mois.",
            ),
        ),
    ] {
        let actor = if who == "cpas" { worker } else { officer };
        messages::post(db, &store, at(days), actor, r.id, text, None).await?;
    }
    let today = now.date_naive();
    // A second request whose thread already meets the "several requests" condition, not
    // escalated yet: the escalation form can be tried on it.
    let second = requests::create(db, at(30), at(30).date_naive(), worker, second).await?;
    let second = requests::send(
        db,
        at(30),
        at(30).date_naive(),
        worker,
        second.id,
        Some(second.version),
    )
    .await?;
    for (days, actor, text) in [
        (
            25,
            worker,
            "Pourriez-vous confirmer la réception de la demande ?",
        ),
        (
            15,
            worker,
            "Seconde relance : la date de fin est urgente pour le paiement.",
        ),
        (
            10,
            officer,
            "Nous vérifions encore la carrière ; réponse sous peu.",
        ),
    ] {
        messages::post(db, &store, at(days), actor, second.id, text, None).await?;
    }
    escalations::create(
        db,
        at(5),
        today - Duration::days(5),
        worker,
        NewEscalation {
            request_id: r.id,
            means_exhausted: true,
            several_requests: true,
            payment_delayed: true,
            payment_delay_since: Some(today - Duration::days(40)),
            description: "Demande envoyée il y a six semaines, relancée deux fois via le fil \
                          de contact : la date de fin n'est pas fixée et le paiement est \
                          retardé."
                .into(),
        },
    )
    .await?;
    Ok(())
}
