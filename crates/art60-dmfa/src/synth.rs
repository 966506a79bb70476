//! Writing DmfAOriginal XML: [`DmfaWriter`] turns the importer's own model back into a
//! declaration that is valid against the 2022/3 XSD (used by the round-trip property tests), and
//! [`write_synthetic`] streams a large fictitious declaration for benchmarks
//! (`art60 dmfa synth --workers N`). Identification numbers are fictitious but carry valid check
//! digits, so the reader accepts them.

use std::io::{self, Write};

use art60_rules::input::Quarter;
use art60_rules::units::Hundredths;
use art60_rules::{Kbo, Niss};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;

use crate::codes::{ServiceCodes, TableError};
use crate::model::{
    ContractType, Employer, JointCommittee, Occupation, PersonDeclaration, Remuneration, Service,
    WorkerRecord,
};

/// Writes a declaration block by block, without holding it in memory.
pub struct DmfaWriter<W: Write> {
    out: W,
    in_form: bool,
    person_seq: u32,
}

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

impl<W: Write> DmfaWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DmfAOriginal xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:noNamespaceSchemaLocation=\"DmfAOriginal_20223.xsd\">\n",
        )?;
        Ok(DmfaWriter {
            out,
            in_form: false,
            person_seq: 0,
        })
    }

    /// Opens a form (one employer, one quarter).
    pub fn begin_form(&mut self, quarter: Quarter, employer: Employer) -> io::Result<()> {
        self.begin_form_created(quarter, employer, default_form_created(quarter))
    }

    /// Opens a form created at `created` (FormCreationDate and FormCreationHour).
    pub fn begin_form_created(
        &mut self,
        quarter: Quarter,
        employer: Employer,
        created_at: NaiveDateTime,
    ) -> io::Result<()> {
        if self.in_form {
            self.end_form()?;
        }
        let created = created_at.date();
        let hour = created_at.time().format("%H:%M:%S%.3f");
        let company = employer.company.map_or("0".to_string(), |k| k.digits());
        write!(
            self.out,
            "\t<Form>\n\t\t<Identification>DMFA</Identification>\n\t\t<FormCreationDate>{created}</FormCreationDate>\n\t\t<FormCreationHour>{hour}</FormCreationHour>\n\t\t<AttestationStatus>0</AttestationStatus>\n\t\t<TypeForm>SU</TypeForm>\n\t\t<EmployerDeclaration>\n\t\t\t<Quarter>{}{}</Quarter>\n\t\t\t<NOSSRegistrationNbr>{}</NOSSRegistrationNbr>\n\t\t\t<Trusteeship>0</Trusteeship>\n\t\t\t<CompanyID>{company}</CompanyID>\n\t\t\t<NetOwedAmount>0</NetOwedAmount>\n",
            quarter.year, quarter.q, employer.noss
        )?;
        self.in_form = true;
        self.person_seq = 0;
        Ok(())
    }

    pub fn end_form(&mut self) -> io::Result<()> {
        if self.in_form {
            self.out
                .write_all(b"\t\t</EmployerDeclaration>\n\t</Form>\n")?;
            self.in_form = false;
        }
        Ok(())
    }

    /// Writes one natural person. Its `quarter`/`employer` must be those of the open form.
    pub fn person(&mut self, p: &PersonDeclaration) -> io::Result<()> {
        self.person_seq += 1;
        let o = &mut self.out;
        write!(
            o,
            "\t\t\t<NaturalPerson>\n\t\t\t\t<NaturalPersonSequenceNbr>{:07}</NaturalPersonSequenceNbr>\n\t\t\t\t<INSS>{}</INSS>\n",
            p.sequence,
            p.niss.expose()
        )?;
        for wr in &p.worker_records {
            write!(
                o,
                "\t\t\t\t<WorkerRecord>\n\t\t\t\t\t<EmployerClass>{:03}</EmployerClass>\n\t\t\t\t\t<WorkerCode>{:03}</WorkerCode>\n\t\t\t\t\t<NOSSQuarterStartingDate>{}</NOSSQuarterStartingDate>\n\t\t\t\t\t<NOSSQuarterEndingDate>{}</NOSSQuarterEndingDate>\n\t\t\t\t\t<Border>0</Border>\n",
                wr.employer_class, wr.worker_code, wr.quarter_start, wr.quarter_end
            )?;
            if wr.occupations.is_empty() {
                // A worker record needs some content (XSD choice): a student contribution.
                o.write_all(b"\t\t\t\t\t<StudentContribution>\n\t\t\t\t\t\t<StudentRemunAmount>000120000</StudentRemunAmount>\n\t\t\t\t\t\t<StudentContributionAmount>000003240</StudentContributionAmount>\n\t\t\t\t\t\t<StudentNbrDays>12</StudentNbrDays>\n\t\t\t\t\t</StudentContribution>\n")?;
            }
            for occ in &wr.occupations {
                write_occupation(o, occ)?;
            }
            if !wr.occupations.is_empty() {
                // Not read by the importer, present in real files: exercises the skipping path.
                write!(
                    o,
                    "\t\t\t\t\t<WorkerContribution>\n\t\t\t\t\t\t<ContributionWorkerCode>{:03}</ContributionWorkerCode>\n\t\t\t\t\t\t<ContributionType>0</ContributionType>\n\t\t\t\t\t\t<ContributionCalculationBasis>00000999999</ContributionCalculationBasis>\n\t\t\t\t\t\t<ContributionAmount>00000096909</ContributionAmount>\n\t\t\t\t\t</WorkerContribution>\n",
                    wr.worker_code
                )?;
            }
            o.write_all(b"\t\t\t\t</WorkerRecord>\n")?;
        }
        o.write_all(b"\t\t\t</NaturalPerson>\n")
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.end_form()?;
        self.out.write_all(b"</DmfAOriginal>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn write_occupation<W: Write>(o: &mut W, occ: &Occupation) -> io::Result<()> {
    write!(
        o,
        "\t\t\t\t\t<Occupation>\n\t\t\t\t\t\t<OccupationSequenceNbr>{:02}</OccupationSequenceNbr>\n",
        occ.sequence
    )?;
    if let Some(s) = occ.start {
        writeln!(
            o,
            "\t\t\t\t\t\t<OccupationStartingDate>{s}</OccupationStartingDate>"
        )?;
    }
    if let Some(e) = occ.end {
        writeln!(
            o,
            "\t\t\t\t\t\t<OccupationEndingDate>{e}</OccupationEndingDate>"
        )?;
    }
    write!(
        o,
        "\t\t\t\t\t\t<JointCommissionNbr>{}</JointCommissionNbr>\n\t\t\t\t\t\t<WorkingDaysSystem>{}</WorkingDaysSystem>\n\t\t\t\t\t\t<ContractType>{}</ContractType>\n",
        occ.joint_committee.as_str(),
        occ.days_per_week.raw(),
        match occ.contract_type {
            ContractType::FullTime => 0,
            ContractType::PartTime => 1,
        }
    )?;
    if let Some(s) = occ.reference_hours {
        writeln!(
            o,
            "\t\t\t\t\t\t<RefMeanWorkingHours>{}</RefMeanWorkingHours>",
            s.raw()
        )?;
    }
    if let Some(ws) = &occ.worker_status {
        writeln!(o, "\t\t\t\t\t\t<WorkerStatus>{}</WorkerStatus>", esc(ws))?;
    }
    if let Some(q) = occ.mean_hours {
        writeln!(
            o,
            "\t\t\t\t\t\t<MeanWorkingHours>{}</MeanWorkingHours>",
            q.raw()
        )?;
    }
    o.write_all(b"\t\t\t\t\t\t<Retired>0</Retired>\n")?;
    if let Some(j) = occ.days_justification {
        writeln!(o, "\t\t\t\t\t\t<DaysJustification>{j}</DaysJustification>")?;
    }
    for s in &occ.services {
        write!(
            o,
            "\t\t\t\t\t\t<Service>\n\t\t\t\t\t\t\t<ServiceSequenceNbr>{:02}</ServiceSequenceNbr>\n\t\t\t\t\t\t\t<ServiceCode>{:03}</ServiceCode>\n\t\t\t\t\t\t\t<ServiceNbrDays>{:05}</ServiceNbrDays>\n",
            s.sequence,
            s.code,
            s.days.raw()
        )?;
        if let Some(h) = s.hours {
            writeln!(
                o,
                "\t\t\t\t\t\t\t<ServiceNbrHours>{}</ServiceNbrHours>",
                h.raw()
            )?;
        }
        o.write_all(b"\t\t\t\t\t\t</Service>\n")?;
    }
    for r in &occ.remunerations {
        write!(
            o,
            "\t\t\t\t\t\t<Remun>\n\t\t\t\t\t\t\t<RemunSequenceNbr>{:02}</RemunSequenceNbr>\n\t\t\t\t\t\t\t<RemunCode>{:03}</RemunCode>\n\t\t\t\t\t\t\t<RemunAmount>{:011}</RemunAmount>\n\t\t\t\t\t\t</Remun>\n",
            r.sequence, r.code, r.amount_cents
        )?;
    }
    o.write_all(b"\t\t\t\t\t</Occupation>\n")
}

/// When [`DmfaWriter::begin_form`] says a form was created: the day after its quarter (the
/// declaration is due then), 08:45.
pub fn default_form_created(quarter: Quarter) -> NaiveDateTime {
    let day = quarter.end().succ_opt().unwrap_or(quarter.end());
    day.and_time(NaiveTime::from_hms_opt(8, 45, 0).unwrap_or(NaiveTime::MIN))
}

/// A NISS with valid check digits for a birth date and a sequence number (1..=997).
pub fn make_niss(birth: NaiveDate, seq: u32) -> Option<Niss> {
    let body = u64::from(birth.year().rem_euclid(100) as u32) * 10_000_000
        + u64::from(birth.month()) * 100_000
        + u64::from(birth.day()) * 1_000
        + u64::from(seq % 1000);
    let check = if birth.year() >= 2000 {
        97 - (2_000_000_000 + body) % 97
    } else {
        97 - body % 97
    };
    Niss::parse(&format!("{body:09}{check:02}")).ok()
}

/// An enterprise number with valid check digits from an 8-digit body below 20 000 000.
pub fn make_kbo(body: u32) -> Option<Kbo> {
    let body = u64::from(body % 20_000_000);
    Kbo::parse(&format!("{body:08}{:02}", 97 - body % 97)).ok()
}

#[derive(Debug, Clone, Copy)]
pub struct SynthOptions {
    /// Natural persons to write.
    pub workers: u64,
    pub seed: u64,
    /// Natural persons per form (one employer per form).
    pub persons_per_form: u32,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            workers: 1000,
            seed: 60,
            persons_per_form: 5000,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SynthStats {
    pub forms: u32,
    pub persons: u64,
    pub worker_records: u64,
    pub occupations: u64,
    pub service_lines: u64,
}

/// Secondary service codes used by the generator, when valid for the quarter.
const SECONDARY_CODES: [u16; 12] = [2, 3, 5, 10, 11, 20, 21, 30, 50, 52, 70, 71];
const WORKER_CODES: [u16; 4] = [15, 495, 24, 484];

/// Builds one random person for a form.
fn random_person(
    rng: &mut fastrand::Rng,
    codes: &ServiceCodes,
    form: u32,
    quarter: Quarter,
    employer: Employer,
    sequence: u32,
) -> PersonDeclaration {
    // Every date drawn here is valid, so the loop runs once; it only avoids an unwrap.
    let niss = loop {
        let birth = NaiveDate::from_ymd_opt(rng.i32(1960..=2004), rng.u32(1..=12), rng.u32(1..=28));
        if let Some(n) = birth.and_then(|b| make_niss(b, rng.u32(1..=997))) {
            break n;
        }
    };
    let (qs, qe) = (quarter.start(), quarter.end());
    let student = rng.u8(0..100) < 3;
    let mut occupations = Vec::new();
    let worker_code = if student {
        840 + u16::from(rng.bool())
    } else {
        let n_occ = if rng.u8(0..100) < 15 { 2 } else { 1 };
        for k in 0..n_occ {
            let part_time = rng.u8(0..100) < 35;
            let s = 3800;
            let r = if part_time {
                [200, 300, 400, 250][rng.usize(0..4)]
            } else {
                500
            };
            // Part-timers work the reference week's hours pro rata of their days.
            let q = s * r / 500;
            let start = if rng.bool() {
                qs - chrono::Days::new(rng.u64(0..4000))
            } else {
                qs + chrono::Days::new(rng.u64(0..40))
            };
            let end = (rng.u8(0..100) < 10).then(|| qe - chrono::Days::new(rng.u64(0..30)));
            let mut services = Vec::new();
            let main_days = rng.i64(20..=65) * (r / 100) / 5 * 100 + [0, 50][rng.usize(0..2)];
            let hours = |days: i64| Hundredths(days * q / r.max(1));
            services.push(Service {
                sequence: 1,
                code: 1,
                days: Hundredths(main_days.max(50)),
                hours: (part_time || rng.bool()).then(|| hours(main_days.max(50))),
            });
            let extra = rng.usize(0..3);
            let mut used = vec![1u16];
            for _ in 0..extra {
                let c = SECONDARY_CODES[rng.usize(0..SECONDARY_CODES.len())];
                if used.contains(&c) || !codes.get(c).is_some_and(|i| i.valid_in(quarter)) {
                    continue;
                }
                used.push(c);
                let d = rng.i64(1..=10) * 100;
                services.push(Service {
                    sequence: services.len() as u8 + 1,
                    code: c,
                    days: Hundredths(d),
                    hours: part_time.then(|| hours(d)),
                });
            }
            let mut remunerations = vec![Remuneration {
                sequence: 1,
                code: 1,
                amount_cents: rng.u64(100_000..1_200_000),
            }];
            if rng.u8(0..100) < 20 {
                remunerations.push(Remuneration {
                    sequence: 2,
                    code: 2,
                    amount_cents: rng.u64(10_000..300_000),
                });
            }
            occupations.push(Occupation {
                sequence: k + 1,
                start: Some(start),
                end: end.filter(|e| *e >= start),
                joint_committee: JointCommittee::parse(
                    ["200", "330", "319.02", "999", "152.02"][rng.usize(0..5)],
                )
                .unwrap_or_else(JointCommittee::none),
                days_per_week: Hundredths(r),
                contract_type: if part_time {
                    ContractType::PartTime
                } else {
                    ContractType::FullTime
                },
                reference_hours: Some(Hundredths(s)),
                worker_status: None,
                mean_hours: Some(Hundredths(q)),
                days_justification: None,
                services,
                remunerations,
            });
        }
        WORKER_CODES[rng.usize(0..WORKER_CODES.len())]
    };
    PersonDeclaration {
        form,
        form_created: Some(default_form_created(quarter)),
        refused_parts: 0,
        quarter,
        employer,
        niss,
        sequence,
        worker_records: vec![WorkerRecord {
            employer_class: 0,
            worker_code,
            quarter_start: qs,
            quarter_end: qe,
            occupations,
        }],
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Streams a fictitious declaration with `opts.workers` natural persons, spread over forms of
/// `opts.persons_per_form` persons, each form a different employer and one of the quarters
/// 2022Q3..2025Q4. Deterministic for a given seed.
pub fn write_synthetic<W: Write>(out: W, opts: &SynthOptions) -> Result<SynthStats, SynthError> {
    let codes = ServiceCodes::embedded()?;
    let mut rng = fastrand::Rng::with_seed(opts.seed);
    let mut w = DmfaWriter::new(out)?;
    let mut stats = SynthStats::default();
    let per_form = u64::from(opts.persons_per_form.max(1));
    let first = Quarter { year: 2022, q: 3 };
    let mut written = 0u64;
    while written < opts.workers {
        stats.forms += 1;
        let mut quarter = first;
        for _ in 0..(stats.forms - 1) % 14 {
            quarter = quarter.next();
        }
        let employer = Employer {
            noss: rng.u32(1_000_000..199_999_934),
            company: make_kbo(rng.u32(200_000..19_999_999)),
        };
        w.begin_form(quarter, employer)?;
        let n = per_form.min(opts.workers - written);
        for i in 0..n {
            let p = random_person(
                &mut rng,
                codes,
                stats.forms,
                quarter,
                employer,
                i as u32 + 1,
            );
            stats.persons += 1;
            for wr in &p.worker_records {
                stats.worker_records += 1;
                stats.occupations += wr.occupations.len() as u64;
                stats.service_lines += wr
                    .occupations
                    .iter()
                    .map(|o| o.services.len() as u64)
                    .sum::<u64>();
            }
            w.person(&p)?;
        }
        written += n;
        w.end_form()?;
    }
    w.finish()?;
    Ok(stats)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid() {
        let d = NaiveDate::from_ymd_opt(2003, 2, 1).unwrap();
        assert_eq!(make_niss(d, 44).unwrap().birth_date(), Some(d));
        assert!(make_kbo(2_074_467).is_some());
    }
}
