//! Streaming reader of `DmfAOriginal` files.
//!
//! One pass over the bytes with the tokenizer of [`crate::xml`] (quick-xml's events and errors,
//! read from a window over the input without copying); only one natural person is held in memory
//! at a time (the reader yields it when its closing tag is read), so memory stays flat whatever
//! the file size. Elements the importer does not need are skipped without being looked at, and a
//! leaf zone is read in one step when it is a plain `<Zone>value</Zone>`.
//!
//! Errors come in two kinds:
//! - a [`RecordError`] spoils one service or remuneration line, one worker record, one natural
//!   person or one form (the smallest block that holds the bad zone); the reader reports it and
//!   goes on with the next block, so good lines and records are still imported and bad ones are
//!   listed, never dropped silently;
//! - a [`ParseError`] (malformed XML, not a DmfA at all, I/O) stops the reader.
//!
//! Both carry the line, column and element path of the problem.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use art60_rules::input::Quarter;
use art60_rules::units::Hundredths;
use art60_rules::{Kbo, Niss};
use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use crate::codes::{CodeProblem, ServiceCodes, TableError};
use crate::model::{
    ContractType, Employer, JointCommittee, Occupation, PersonDeclaration, Remuneration, Service,
    WorkerRecord,
};
use crate::xml::{Ev, FastTag, Scanner, missed_end};

/// Where in the file: 1-based line, 1-based byte column, and the element path with the
/// position of repeated blocks, e.g. `/DmfAOriginal/Form[1]/EmployerDeclaration/NaturalPerson[3]/INSS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: u64,
    pub column: u64,
    pub path: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}, {}",
            self.line, self.column, self.path
        )
    }
}

/// What is wrong with a zone. Values are quoted except the INSS, which is never echoed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    #[error("mandatory zone {zone} is missing")]
    MissingZone { zone: &'static str },
    #[error("{zone} = {value:?} is not an integer in {min}..={max}")]
    OutOfRange {
        zone: &'static str,
        value: String,
        min: u64,
        max: u64,
    },
    #[error("{zone} = {value:?}: {reason}")]
    InvalidValue {
        zone: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("INSS is not a valid NISS ({reason})")]
    InvalidInss { reason: String },
    #[error("service code {code} is not in ONSS Annex 8")]
    UnknownServiceCode { code: u16 },
    #[error("service code {code} is only allowed in the DmfAPPL")]
    ServiceCodeNotForDmfa { code: u16 },
    #[error("service code {code} is not valid in quarter {quarter}")]
    ServiceCodeNotValid { code: u16, quarter: Quarter },
    #[error("{zone} appears twice in the same block")]
    Duplicate { zone: &'static str },
    #[error(
        "the {persons} natural person(s) of this form were not imported: its employer declaration is invalid"
    )]
    FormSkipped { persons: u32 },
}

/// Which part of the declaration a [`RecordError`] keeps out of the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Dropped {
    /// One service line of an occupation (the record's other lines are kept).
    ServiceLine {
        /// Masked NISS (`Niss::masked`), when the INSS was read before the error.
        person: Option<String>,
        /// 1-based positions of the worker record, the occupation and the line.
        worker_record: u32,
        occupation: u32,
        line: u32,
        /// The line's service code, when it was read (an unknown code is quoted).
        code: Option<u16>,
    },
    /// One remuneration line of an occupation (the record's other lines are kept).
    RemunerationLine {
        person: Option<String>,
        worker_record: u32,
        occupation: u32,
        line: u32,
    },
    /// One worker record of a person (the person's other records are kept).
    WorkerRecord {
        /// Masked NISS (`Niss::masked`), when the INSS was read before the error.
        person: Option<String>,
        worker_record: u32,
    },
    /// The whole natural person.
    Person { person: Option<String> },
    /// The whole form (employer declaration).
    Form { form: u32 },
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let of = |p: &Option<String>| p.as_ref().map(|p| format!(" of {p}")).unwrap_or_default();
        match self {
            Dropped::ServiceLine {
                person,
                worker_record,
                occupation,
                line,
                code,
            } => {
                let code = code.map(|c| format!(" (code {c:03})")).unwrap_or_default();
                write!(
                    f,
                    "service line {line}{code} of occupation {occupation}, worker record {worker_record}{} left out; the record's other lines are kept",
                    of(person)
                )
            }
            Dropped::RemunerationLine {
                person,
                worker_record,
                occupation,
                line,
            } => write!(
                f,
                "remuneration line {line} of occupation {occupation}, worker record {worker_record}{} left out; the record's other lines are kept",
                of(person)
            ),
            Dropped::WorkerRecord {
                person,
                worker_record,
            } => write!(f, "worker record {worker_record}{} left out", of(person)),
            Dropped::Person { person } => write!(f, "the natural person{} left out", of(person)),
            Dropped::Form { form } => write!(f, "form {form} left out"),
        }
    }
}

/// A bad zone: reported, and the enclosing block is left out of the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{location}: {problem}")]
pub struct RecordError {
    pub location: Location,
    pub problem: Problem,
    pub dropped: Dropped,
}

/// An error that stops the reader.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("{location}: malformed XML: {message}")]
    Malformed { location: Location, message: String },
    #[error("{location}: not a DmfAOriginal declaration (root element {root:?})")]
    NotDmfa { location: Location, root: String },
    #[error("{location}: the file ends before the declaration is complete")]
    Truncated { location: Location },
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Table(#[from] TableError),
}

impl ParseError {
    pub fn location(&self) -> Option<&Location> {
        match self {
            ParseError::Malformed { location, .. }
            | ParseError::NotDmfa { location, .. }
            | ParseError::Truncated { location } => Some(location),
            ParseError::Io(_) | ParseError::Table(_) => None,
        }
    }
}

/// What the reader yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Person(PersonDeclaration),
    Rejected(RecordError),
}

/// Counts kept while reading, for summaries and progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadStats {
    pub forms: u32,
    pub natural_persons: u64,
    pub worker_records: u64,
    pub bytes: u64,
}

/// A whole file read into memory (for the case service: declarations are small there).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub persons: Vec<PersonDeclaration>,
    pub rejected: Vec<RecordError>,
    pub stats: ReadStats,
}

/// Reads a whole declaration. Malformed XML fails the whole file (nothing half-imported);
/// bad records are listed in `rejected`.
pub fn parse_reader<R: Read>(reader: R) -> Result<Parsed, ParseError> {
    let mut r = DmfaReader::new(reader)?;
    let mut persons = Vec::new();
    let mut rejected = Vec::new();
    for item in &mut r {
        match item? {
            Item::Person(p) => persons.push(p),
            Item::Rejected(e) => rejected.push(e),
        }
    }
    Ok(Parsed {
        persons,
        rejected,
        stats: r.stats(),
    })
}

pub fn parse_bytes(bytes: &[u8]) -> Result<Parsed, ParseError> {
    parse_reader(bytes)
}

pub fn parse_file(path: impl AsRef<Path>) -> Result<Parsed, ParseError> {
    parse_reader(File::open(path)?)
}

// ---------------------------------------------------------------------------------------------
// Blocks and zones.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Root,
    Form,
    EmployerDeclaration,
    NaturalPerson,
    WorkerRecord,
    Occupation,
    Service,
    Remun,
}

impl Block {
    fn name(self) -> &'static str {
        match self {
            Block::Root => "DmfAOriginal",
            Block::Form => "Form",
            Block::EmployerDeclaration => "EmployerDeclaration",
            Block::NaturalPerson => "NaturalPerson",
            Block::WorkerRecord => "WorkerRecord",
            Block::Occupation => "Occupation",
            Block::Service => "Service",
            Block::Remun => "Remun",
        }
    }
    fn child(self, name: Name) -> Option<Block> {
        let Name::Block(b) = name else {
            return None;
        };
        let parent = match b {
            Block::Root => return None,
            Block::Form => Block::Root,
            Block::EmployerDeclaration => Block::Form,
            Block::NaturalPerson => Block::EmployerDeclaration,
            Block::WorkerRecord => Block::NaturalPerson,
            Block::Occupation => Block::WorkerRecord,
            Block::Service | Block::Remun => Block::Occupation,
        };
        (parent == self).then_some(b)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    FormCreationDate,
    FormCreationHour,
    Quarter,
    NossRegistrationNbr,
    CompanyId,
    NaturalPersonSequenceNbr,
    Inss,
    EmployerClass,
    WorkerCode,
    NossQuarterStartingDate,
    NossQuarterEndingDate,
    OccupationSequenceNbr,
    OccupationStartingDate,
    OccupationEndingDate,
    JointCommissionNbr,
    WorkingDaysSystem,
    ContractType,
    RefMeanWorkingHours,
    WorkerStatus,
    MeanWorkingHours,
    DaysJustification,
    ServiceSequenceNbr,
    ServiceCode,
    ServiceNbrDays,
    ServiceNbrHours,
    RemunSequenceNbr,
    RemunCode,
    RemunAmount,
}

impl Zone {
    fn of(block: Block, name: Name) -> Option<Zone> {
        let Name::Zone(z) = name else {
            return None;
        };
        (z.block() == block).then_some(z)
    }

    /// The block a zone belongs to.
    fn block(self) -> Block {
        use Zone::*;
        match self {
            FormCreationDate | FormCreationHour => Block::Form,
            Quarter | NossRegistrationNbr | CompanyId => Block::EmployerDeclaration,
            NaturalPersonSequenceNbr | Inss => Block::NaturalPerson,
            EmployerClass | WorkerCode | NossQuarterStartingDate | NossQuarterEndingDate => {
                Block::WorkerRecord
            }
            OccupationSequenceNbr
            | OccupationStartingDate
            | OccupationEndingDate
            | JointCommissionNbr
            | WorkingDaysSystem
            | ContractType
            | RefMeanWorkingHours
            | WorkerStatus
            | MeanWorkingHours
            | DaysJustification => Block::Occupation,
            ServiceSequenceNbr | ServiceCode | ServiceNbrDays | ServiceNbrHours => Block::Service,
            RemunSequenceNbr | RemunCode | RemunAmount => Block::Remun,
        }
    }

    fn name(self) -> &'static str {
        use Zone::*;
        match self {
            FormCreationDate => "FormCreationDate",
            FormCreationHour => "FormCreationHour",
            Quarter => "Quarter",
            NossRegistrationNbr => "NOSSRegistrationNbr",
            CompanyId => "CompanyID",
            NaturalPersonSequenceNbr => "NaturalPersonSequenceNbr",
            Inss => "INSS",
            EmployerClass => "EmployerClass",
            WorkerCode => "WorkerCode",
            NossQuarterStartingDate => "NOSSQuarterStartingDate",
            NossQuarterEndingDate => "NOSSQuarterEndingDate",
            OccupationSequenceNbr => "OccupationSequenceNbr",
            OccupationStartingDate => "OccupationStartingDate",
            OccupationEndingDate => "OccupationEndingDate",
            JointCommissionNbr => "JointCommissionNbr",
            WorkingDaysSystem => "WorkingDaysSystem",
            ContractType => "ContractType",
            RefMeanWorkingHours => "RefMeanWorkingHours",
            WorkerStatus => "WorkerStatus",
            MeanWorkingHours => "MeanWorkingHours",
            DaysJustification => "DaysJustification",
            ServiceSequenceNbr => "ServiceSequenceNbr",
            ServiceCode => "ServiceCode",
            ServiceNbrDays => "ServiceNbrDays",
            ServiceNbrHours => "ServiceNbrHours",
            RemunSequenceNbr => "RemunSequenceNbr",
            RemunCode => "RemunCode",
            RemunAmount => "RemunAmount",
        }
    }
}

/// An element name the reader knows, whatever block it is in (the block decides what it means).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    Block(Block),
    Zone(Zone),
    Other,
}

/// `n == lit` with the length known at compile time: a few integer compares, no memcmp call.
#[inline(always)]
fn is<const N: usize>(n: &[u8], lit: &[u8; N]) -> bool {
    <&[u8; N]>::try_from(n).is_ok_and(|a| a == lit)
}

/// The name of an element, by length first (the known names have few lengths in common).
fn classify(n: &[u8]) -> Name {
    use Zone::*;
    macro_rules! pick {
        ($($lit:literal => $v:expr),* $(,)?) => {{
            $(if is(n, $lit) {
                return $v;
            })*
            Name::Other
        }};
    }
    let b = Name::Block;
    let z = Name::Zone;
    match n.len() {
        4 => pick!(b"Form" => b(Block::Form), b"INSS" => z(Inss)),
        5 => pick!(b"Remun" => b(Block::Remun)),
        7 => pick!(b"Service" => b(Block::Service), b"Quarter" => z(Quarter)),
        9 => pick!(b"CompanyID" => z(CompanyId), b"RemunCode" => z(RemunCode)),
        10 => pick!(b"Occupation" => b(Block::Occupation), b"WorkerCode" => z(WorkerCode)),
        11 => pick!(b"ServiceCode" => z(ServiceCode), b"RemunAmount" => z(RemunAmount)),
        12 => pick!(
            b"WorkerRecord" => b(Block::WorkerRecord),
            b"DmfAOriginal" => b(Block::Root),
            b"ContractType" => z(ContractType),
            b"WorkerStatus" => z(WorkerStatus),
        ),
        13 => pick!(
            b"NaturalPerson" => b(Block::NaturalPerson),
            b"EmployerClass" => z(EmployerClass),
        ),
        14 => pick!(b"ServiceNbrDays" => z(ServiceNbrDays)),
        15 => pick!(b"ServiceNbrHours" => z(ServiceNbrHours)),
        16 => pick!(
            b"RemunSequenceNbr" => z(RemunSequenceNbr),
            b"MeanWorkingHours" => z(MeanWorkingHours),
            b"FormCreationDate" => z(FormCreationDate),
            b"FormCreationHour" => z(FormCreationHour),
        ),
        17 => pick!(
            b"WorkingDaysSystem" => z(WorkingDaysSystem),
            b"DaysJustification" => z(DaysJustification),
        ),
        18 => pick!(
            b"ServiceSequenceNbr" => z(ServiceSequenceNbr),
            b"JointCommissionNbr" => z(JointCommissionNbr),
        ),
        19 => pick!(
            b"EmployerDeclaration" => b(Block::EmployerDeclaration),
            b"NOSSRegistrationNbr" => z(NossRegistrationNbr),
            b"RefMeanWorkingHours" => z(RefMeanWorkingHours),
        ),
        20 => pick!(b"OccupationEndingDate" => z(OccupationEndingDate)),
        21 => pick!(
            b"OccupationSequenceNbr" => z(OccupationSequenceNbr),
            b"NOSSQuarterEndingDate" => z(NossQuarterEndingDate),
        ),
        22 => pick!(b"OccupationStartingDate" => z(OccupationStartingDate)),
        23 => pick!(b"NOSSQuarterStartingDate" => z(NossQuarterStartingDate)),
        24 => pick!(b"NaturalPersonSequenceNbr" => z(NaturalPersonSequenceNbr)),
        _ => Name::Other,
    }
}

/// XSD integer facets: xs:integer with whitespace collapse, optional `+`, leading zeros allowed.
fn parse_int(zone: Zone, text: &[u8], min: u64, max: u64) -> Result<u64, Problem> {
    let t = text.trim_ascii();
    let digits = t.strip_prefix(b"+").unwrap_or(t);
    // Up to 19 digits cannot overflow a u64: no checked arithmetic on the usual path. The
    // value is kept only when every byte was a digit; until that is known a non-digit (up to
    // 255 here) may carry it past u64, hence wrapping (the fuzzer found the overflow).
    if !digits.is_empty() && digits.len() <= 19 {
        let mut v: u64 = 0;
        let mut ok = true;
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            ok &= d < 10;
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
        }
        if ok && (min..=max).contains(&v) {
            return Ok(v);
        }
    }
    let mut v: u64 = 0;
    let mut ok = !digits.is_empty();
    for &c in digits {
        if !c.is_ascii_digit() {
            ok = false;
            break;
        }
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(c - b'0')))
        {
            Some(x) => v = x,
            None => {
                ok = false;
                break;
            }
        }
    }
    if ok && (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(Problem::OutOfRange {
            zone: zone.name(),
            value: lossy(t),
            min,
            max,
        })
    }
}

fn lossy(t: &[u8]) -> String {
    // Quoted back in errors: keep it short so a huge bogus text node cannot flood the report.
    let s = String::from_utf8_lossy(&t[..t.len().min(40)]).into_owned();
    if t.len() > 40 { s + "…" } else { s }
}

fn parse_date(zone: Zone, text: &[u8]) -> Result<NaiveDate, Problem> {
    let t = text.trim_ascii();
    let bad = || Problem::InvalidValue {
        zone: zone.name(),
        value: lossy(t),
        reason: "not a date YYYY-MM-DD",
    };
    if t.len() != 10 || t[4] != b'-' || t[7] != b'-' {
        return Err(bad());
    }
    let num = |r: &[u8]| -> Option<u32> {
        r.iter().try_fold(0u32, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(&t[..4]), num(&t[5..7]), num(&t[8..]));
    match (y, m, d) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// xs:time as DmfA writes it: `HH:MM:SS` with optional fractional seconds.
fn parse_time(zone: Zone, text: &[u8]) -> Result<NaiveTime, Problem> {
    let t = text.trim_ascii();
    std::str::from_utf8(t)
        .ok()
        .and_then(|s| NaiveTime::parse_from_str(s, "%H:%M:%S%.f").ok())
        .ok_or_else(|| Problem::InvalidValue {
            zone: zone.name(),
            value: lossy(t),
            reason: "not a time HH:MM:SS",
        })
}

fn text_str(zone: Zone, text: &[u8]) -> Result<&str, Problem> {
    std::str::from_utf8(text).map_err(|_| Problem::InvalidValue {
        zone: zone.name(),
        value: lossy(text),
        reason: "not UTF-8",
    })
}

// ---------------------------------------------------------------------------------------------
// Partial blocks while reading.

#[derive(Default)]
struct FormState {
    ordinal: u32,
    created_date: Option<NaiveDate>,
    created_time: Option<NaiveTime>,
    quarter: Option<Quarter>,
    noss: Option<u32>,
    company: Option<Option<Kbo>>,
    /// Set once an employer-level zone is bad: the persons of this form are skipped and counted.
    poisoned: bool,
    skipped_persons: u32,
    persons_seen: u32,
    header_checked: bool,
    location: Option<Location>,
}

#[derive(Default)]
struct PersonState {
    ordinal: u32,
    sequence: Option<u32>,
    niss: Option<Niss>,
    poisoned: bool,
    records: Vec<WorkerRecord>,
    records_seen: u32,
    /// Worker records and lines of this person left out (each reported on its own).
    refused_parts: u32,
}

#[derive(Default)]
struct RecordState {
    ordinal: u32,
    employer_class: Option<u16>,
    worker_code: Option<u16>,
    quarter_start: Option<NaiveDate>,
    quarter_end: Option<NaiveDate>,
    occupations: Vec<Occupation>,
    occupations_seen: u32,
    poisoned: bool,
}

#[derive(Default)]
struct OccState {
    ordinal: u32,
    sequence: Option<u8>,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    joint_committee: Option<JointCommittee>,
    days_per_week: Option<Hundredths>,
    contract_type: Option<ContractType>,
    reference_hours: Option<Hundredths>,
    worker_status: Option<String>,
    mean_hours: Option<Hundredths>,
    days_justification: Option<u8>,
    services: Vec<Service>,
    remunerations: Vec<Remuneration>,
    services_seen: u32,
    remuns_seen: u32,
}

#[derive(Default)]
struct ServiceState {
    ordinal: u32,
    poisoned: bool,
    sequence: Option<u8>,
    code: Option<u16>,
    days: Option<Hundredths>,
    hours: Option<Hundredths>,
}

#[derive(Default)]
struct RemunState {
    ordinal: u32,
    poisoned: bool,
    sequence: Option<u8>,
    code: Option<u16>,
    amount: Option<u64>,
}

fn set_once<T>(slot: &mut Option<T>, v: T, zone: Zone) -> Result<(), Problem> {
    if slot.is_some() {
        return Err(Problem::Duplicate { zone: zone.name() });
    }
    *slot = Some(v);
    Ok(())
}

/// Streaming reader: an iterator of [`Item`]s, ending after the first [`ParseError`].
pub struct DmfaReader<R: Read> {
    xml: Scanner<R>,
    text: Vec<u8>,
    codes: &'static ServiceCodes,
    /// Open blocks, outermost first.
    stack: Vec<Block>,
    /// Per open block: a zone of it was already rejected, so its missing-zone check is moot.
    reported: Vec<bool>,
    form: FormState,
    person: PersonState,
    record: RecordState,
    occ: OccState,
    service: ServiceState,
    remun: RemunState,
    forms_seen: u32,
    persons_seen_in_form: u32,
    out: VecDeque<Item>,
    stats: ReadStats,
    saw_root: bool,
    name_buf: Vec<u8>,
    done: bool,
}

impl<R: Read> DmfaReader<R> {
    pub fn new(inner: R) -> Result<Self, ParseError> {
        Self::with_scanner(Scanner::new(inner))
    }

    /// A reader whose window starts at `size` bytes (tests: a tiny window moves often).
    #[cfg(test)]
    pub(crate) fn with_window(inner: R, size: usize) -> Result<Self, ParseError> {
        Self::with_scanner(Scanner::with_window(inner, size))
    }

    fn with_scanner(xml: Scanner<R>) -> Result<Self, ParseError> {
        Ok(DmfaReader {
            xml,
            text: Vec::with_capacity(64),
            codes: ServiceCodes::embedded()?,
            stack: Vec::with_capacity(16),
            reported: Vec::with_capacity(16),
            form: FormState::default(),
            person: PersonState::default(),
            record: RecordState::default(),
            occ: OccState::default(),
            service: ServiceState::default(),
            remun: RemunState::default(),
            forms_seen: 0,
            persons_seen_in_form: 0,
            out: VecDeque::new(),
            stats: ReadStats::default(),
            saw_root: false,
            name_buf: Vec::with_capacity(64),
            done: false,
        })
    }

    #[cfg(test)]
    pub(crate) fn window_capacity(&self) -> usize {
        self.xml.window_capacity()
    }

    pub fn stats(&self) -> ReadStats {
        let mut s = self.stats;
        s.bytes = self.xml.offset();
        s
    }

    /// Bytes read so far (for progress bars).
    pub fn position(&self) -> u64 {
        self.xml.offset()
    }

    fn path(&self, leaf: Option<&str>) -> String {
        let mut p = String::with_capacity(128);
        for b in &self.stack {
            p.push('/');
            p.push_str(b.name());
            let ord = match b {
                Block::Form => Some(self.form.ordinal),
                Block::NaturalPerson => Some(self.person.ordinal),
                Block::WorkerRecord => Some(self.record.ordinal),
                Block::Occupation => Some(self.occ.ordinal),
                Block::Service => Some(self.service.ordinal),
                Block::Remun => Some(self.remun.ordinal),
                Block::Root | Block::EmployerDeclaration => None,
            };
            if let Some(o) = ord {
                p.push_str(&format!("[{o}]"));
            }
        }
        if let Some(l) = leaf {
            p.push('/');
            p.push_str(l);
        }
        p
    }

    fn location_at(&self, at: u64, leaf: Option<&str>) -> Location {
        let (line, column) = self.xml.line_col(at);
        Location {
            line,
            column,
            path: self.path(leaf),
        }
    }

    fn here(&self) -> u64 {
        self.xml.offset()
    }

    fn masked_person(&self) -> Option<String> {
        self.person.niss.map(|n| n.masked())
    }

    /// Reports a problem found at `at` and spoils the innermost record-level block.
    fn reject(&mut self, problem: Problem, at: Location) {
        if let Some(r) = self.reported.last_mut() {
            *r = true;
        }
        let in_block = |b: Block| self.stack.contains(&b);
        if in_block(Block::NaturalPerson) {
            self.person.refused_parts += 1;
        }
        // A bad service or remuneration line spoils only itself: the days of the record's
        // other lines are still declared facts (issue 14).
        let dropped = if in_block(Block::Service) {
            self.service.poisoned = true;
            Dropped::ServiceLine {
                person: self.masked_person(),
                worker_record: self.record.ordinal,
                occupation: self.occ.ordinal,
                line: self.service.ordinal,
                code: match &problem {
                    Problem::UnknownServiceCode { code }
                    | Problem::ServiceCodeNotForDmfa { code }
                    | Problem::ServiceCodeNotValid { code, .. } => Some(*code),
                    _ => self.service.code,
                },
            }
        } else if in_block(Block::Remun) {
            self.remun.poisoned = true;
            Dropped::RemunerationLine {
                person: self.masked_person(),
                worker_record: self.record.ordinal,
                occupation: self.occ.ordinal,
                line: self.remun.ordinal,
            }
        } else if in_block(Block::WorkerRecord) {
            self.record.poisoned = true;
            Dropped::WorkerRecord {
                person: self.masked_person(),
                worker_record: self.record.ordinal,
            }
        } else if in_block(Block::NaturalPerson) {
            self.person.poisoned = true;
            Dropped::Person {
                person: self.masked_person(),
            }
        } else {
            self.form.poisoned = true;
            Dropped::Form {
                form: self.form.ordinal,
            }
        };
        self.out.push_back(Item::Rejected(RecordError {
            location: at,
            problem,
            dropped,
        }));
    }

    fn malformed(&self, e: impl fmt::Display) -> ParseError {
        ParseError::Malformed {
            location: self.location_at(self.here(), None),
            message: e.to_string(),
        }
    }

    /// Reads the text of a leaf element (its start tag was just read) into `self.text`.
    /// Returns false (and skips the content) if the leaf holds child elements.
    fn read_leaf(&mut self) -> Result<bool, ParseError> {
        self.text.clear();
        let mut simple = true;
        loop {
            let ev = match self.xml.next() {
                Ok(ev) => ev,
                Err(e) => return Err(self.malformed(e)),
            };
            match ev {
                Ev::Text(a, b) | Ev::CData(a, b) => {
                    self.text.extend_from_slice(&self.xml.window()[a..b]);
                }
                Ev::Ref(a, b) => {
                    let r = &self.xml.window()[a..b];
                    let resolved = std::str::from_utf8(r).map_err(|_| ()).and_then(|s| {
                        quick_xml::events::BytesRef::new(s)
                            .resolve_char_ref()
                            .map_err(|_| ())
                    });
                    let c = match resolved {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => match r {
                            b"lt" => Some('<'),
                            b"gt" => Some('>'),
                            b"amp" => Some('&'),
                            b"apos" => Some('\''),
                            b"quot" => Some('"'),
                            _ => None,
                        },
                        Err(()) => None,
                    };
                    match c {
                        Some(c) => {
                            let mut tmp = [0u8; 4];
                            self.text
                                .extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                        }
                        // An entity this reader does not define: keep it visible in the value so
                        // the zone check rejects it.
                        None => {
                            self.text.push(b'&');
                            self.text.extend_from_slice(r);
                            self.text.push(b';');
                        }
                    }
                }
                Ev::Start { name, empty: false } => {
                    simple = false;
                    self.skip_to_end(name)?;
                }
                Ev::Start { empty: true, .. } => simple = false,
                Ev::End => return Ok(simple),
                Ev::Eof => {
                    return Err(ParseError::Truncated {
                        location: self.location_at(self.here(), None),
                    });
                }
                Ev::Other => {}
            }
        }
    }

    /// Skips the rest of an element whose start tag `name` was just read (quick-xml's
    /// `read_to_end_into`: every event in it is still read, so a malformed subtree still stops
    /// the reader).
    fn skip_to_end(&mut self, name: (usize, usize)) -> Result<(), ParseError> {
        if self.xml.leaf_end().is_some() {
            return Ok(());
        }
        // Kept for the error if the end tag never comes (the window moves on meanwhile).
        let mut n = std::mem::take(&mut self.name_buf);
        n.clear();
        n.extend_from_slice(&self.xml.window()[name.0..name.1]);
        let r = self.skip_rest(&n);
        self.name_buf = n;
        r
    }

    fn skip_rest(&mut self, name: &[u8]) -> Result<(), ParseError> {
        // Ends are checked against their start tags, so the element ends when the depth
        // drops below its own.
        let depth = self.xml.depth();
        loop {
            match self.xml.fast_tag() {
                Some(FastTag::Start { .. }) => {
                    // A leaf inside: its text and end tag at once.
                    let _ = self.xml.leaf_end();
                    continue;
                }
                Some(FastTag::End) if self.xml.depth() < depth => return Ok(()),
                Some(FastTag::End) => continue,
                None => {}
            }
            let ev = match self.xml.next() {
                Ok(ev) => ev,
                Err(e) => return Err(self.malformed(e)),
            };
            match ev {
                Ev::Start { empty: false, .. } => {
                    // A leaf inside: its text and end tag at once.
                    let _ = self.xml.leaf_end();
                }
                Ev::End if self.xml.depth() < depth => return Ok(()),
                Ev::Eof => return Err(self.malformed(missed_end(name))),
                _ => {}
            }
        }
    }

    /// Applies one zone's text to the block being read.
    fn apply(&mut self, zone: Zone, text: &[u8]) -> Result<(), Problem> {
        use Zone as Z;
        match zone {
            Z::FormCreationDate => {
                let d = parse_date(zone, text)?;
                set_once(&mut self.form.created_date, d, zone)
            }
            Z::FormCreationHour => {
                let t = parse_time(zone, text)?;
                set_once(&mut self.form.created_time, t, zone)
            }
            Z::Quarter => {
                let v = parse_int(zone, text, 20031, 99994)?;
                let q = Quarter {
                    year: (v / 10) as i32,
                    q: (v % 10) as u8,
                };
                if !(1..=4).contains(&q.q) {
                    return Err(Problem::InvalidValue {
                        zone: zone.name(),
                        value: lossy(text.trim_ascii()),
                        reason: "the last digit (quarter) must be 1 to 4",
                    });
                }
                if q.end() > art60_rules::input::MAX_DATE {
                    return Err(Problem::InvalidValue {
                        zone: zone.name(),
                        value: lossy(text.trim_ascii()),
                        reason: "after the last date the engine handles (2150-12-31)",
                    });
                }
                set_once(&mut self.form.quarter, q, zone)
            }
            Z::NossRegistrationNbr => {
                let v = parse_int(zone, text, 0, 199_999_934)? as u32;
                set_once(&mut self.form.noss, v, zone)
            }
            Z::CompanyId => {
                let v = parse_int(zone, text, 0, 1_999_999_943)?;
                let k = if v == 0 {
                    None
                } else {
                    Some(
                        Kbo::parse(&format!("{v:010}")).map_err(|e| Problem::InvalidValue {
                            zone: zone.name(),
                            value: lossy(text.trim_ascii()),
                            reason: match e {
                                art60_rules::IdError::KboPrefix => "KBO must start with 0 or 1",
                                _ => "KBO check digits do not match",
                            },
                        })?,
                    )
                };
                set_once(&mut self.form.company, k, zone)
            }
            Z::NaturalPersonSequenceNbr => {
                let v = parse_int(zone, text, 1, 9_999_999)? as u32;
                set_once(&mut self.person.sequence, v, zone)
            }
            Z::Inss => {
                let t = text.trim_ascii();
                if t.len() != 11 || !t.iter().all(u8::is_ascii_digit) {
                    return Err(Problem::InvalidInss {
                        reason: format!("{} characters, expected 11 digits", t.len()),
                    });
                }
                let s = text_str(zone, t)?;
                let n = Niss::parse(s).map_err(|e| Problem::InvalidInss {
                    reason: e.to_string(),
                })?;
                set_once(&mut self.person.niss, n, zone)
            }
            Z::EmployerClass => {
                let v = parse_int(zone, text, 0, 999)? as u16;
                set_once(&mut self.record.employer_class, v, zone)
            }
            Z::WorkerCode => {
                let v = parse_int(zone, text, 0, 999)? as u16;
                set_once(&mut self.record.worker_code, v, zone)
            }
            Z::NossQuarterStartingDate => {
                let d = parse_date(zone, text)?;
                set_once(&mut self.record.quarter_start, d, zone)
            }
            Z::NossQuarterEndingDate => {
                let d = parse_date(zone, text)?;
                set_once(&mut self.record.quarter_end, d, zone)
            }
            Z::OccupationSequenceNbr => {
                let v = parse_int(zone, text, 1, 99)? as u8;
                set_once(&mut self.occ.sequence, v, zone)
            }
            Z::OccupationStartingDate => {
                let d = parse_date(zone, text)?;
                set_once(&mut self.occ.start, d, zone)
            }
            Z::OccupationEndingDate => {
                let d = parse_date(zone, text)?;
                set_once(&mut self.occ.end, d, zone)
            }
            Z::JointCommissionNbr => {
                let s = text_str(zone, text.trim_ascii())?;
                let jc = JointCommittee::parse(s).ok_or_else(|| Problem::InvalidValue {
                    zone: zone.name(),
                    value: lossy(s.as_bytes()),
                    reason: "expected NNN, NNN.NN or NNN.NN.NN",
                })?;
                set_once(&mut self.occ.joint_committee, jc, zone)
            }
            Z::WorkingDaysSystem => {
                let v = parse_int(zone, text, 0, 700)?;
                set_once(&mut self.occ.days_per_week, Hundredths(v as i64), zone)
            }
            Z::ContractType => {
                let v = parse_int(zone, text, 0, 1)?;
                let ct = if v == 0 {
                    ContractType::FullTime
                } else {
                    ContractType::PartTime
                };
                set_once(&mut self.occ.contract_type, ct, zone)
            }
            Z::RefMeanWorkingHours => {
                let v = parse_int(zone, text, 1, 6000)?;
                set_once(&mut self.occ.reference_hours, Hundredths(v as i64), zone)
            }
            Z::MeanWorkingHours => {
                let v = parse_int(zone, text, 0, 6000)?;
                set_once(&mut self.occ.mean_hours, Hundredths(v as i64), zone)
            }
            Z::WorkerStatus => {
                // xs:string, max length 2 (characters); whitespace is significant for strings.
                let s = text_str(zone, text)?;
                if s.chars().count() > 2 {
                    return Err(Problem::InvalidValue {
                        zone: zone.name(),
                        value: lossy(text),
                        reason: "at most 2 characters",
                    });
                }
                set_once(&mut self.occ.worker_status, s.to_string(), zone)
            }
            Z::DaysJustification => {
                let t = text;
                if t.len() != 1 || !(b'1'..=b'8').contains(&t[0]) {
                    return Err(Problem::InvalidValue {
                        zone: zone.name(),
                        value: lossy(t),
                        reason: "expected one digit 1 to 8",
                    });
                }
                set_once(&mut self.occ.days_justification, t[0] - b'0', zone)
            }
            Z::ServiceSequenceNbr => {
                let v = parse_int(zone, text, 1, 99)? as u8;
                set_once(&mut self.service.sequence, v, zone)
            }
            Z::ServiceCode => {
                let v = parse_int(zone, text, 0, 999)? as u16;
                if let Some(q) = self.form.quarter {
                    self.codes.check(v, q).map_err(|p| match p {
                        CodeProblem::Unknown => Problem::UnknownServiceCode { code: v },
                        CodeProblem::NotForDmfa => Problem::ServiceCodeNotForDmfa { code: v },
                        CodeProblem::NotValidIn => Problem::ServiceCodeNotValid {
                            code: v,
                            quarter: q,
                        },
                    })?;
                }
                set_once(&mut self.service.code, v, zone)
            }
            Z::ServiceNbrDays => {
                let v = parse_int(zone, text, 1, 36600)?;
                set_once(&mut self.service.days, Hundredths(v as i64), zone)
            }
            Z::ServiceNbrHours => {
                let v = parse_int(zone, text, 1, 9_999_999)?;
                set_once(&mut self.service.hours, Hundredths(v as i64), zone)
            }
            Z::RemunSequenceNbr => {
                let v = parse_int(zone, text, 1, 99)? as u8;
                set_once(&mut self.remun.sequence, v, zone)
            }
            Z::RemunCode => {
                let v = parse_int(zone, text, 0, 999)? as u16;
                set_once(&mut self.remun.code, v, zone)
            }
            Z::RemunAmount => {
                let v = parse_int(zone, text, 0, 99_999_999_999)?;
                set_once(&mut self.remun.amount, v, zone)
            }
        }
    }

    fn open(&mut self, block: Block, at: u64) {
        match block {
            Block::Root => {}
            Block::Form => {
                self.forms_seen += 1;
                self.stats.forms += 1;
                self.form = FormState {
                    ordinal: self.forms_seen,
                    ..FormState::default()
                };
                self.persons_seen_in_form = 0;
            }
            Block::EmployerDeclaration => {
                self.form.location = Some(self.location_at(at, Some("EmployerDeclaration")));
            }
            Block::NaturalPerson => {
                self.persons_seen_in_form += 1;
                self.stats.natural_persons += 1;
                self.person = PersonState {
                    ordinal: self.persons_seen_in_form,
                    ..PersonState::default()
                };
            }
            Block::WorkerRecord => {
                self.stats.worker_records += 1;
                self.person.records_seen += 1;
                self.record = RecordState {
                    ordinal: self.person.records_seen,
                    ..RecordState::default()
                };
            }
            Block::Occupation => {
                self.record.occupations_seen += 1;
                self.occ = OccState {
                    ordinal: self.record.occupations_seen,
                    ..OccState::default()
                };
            }
            Block::Service => {
                self.occ.services_seen += 1;
                self.service = ServiceState {
                    ordinal: self.occ.services_seen,
                    ..ServiceState::default()
                };
            }
            Block::Remun => {
                self.occ.remuns_seen += 1;
                self.remun = RemunState {
                    ordinal: self.occ.remuns_seen,
                    ..RemunState::default()
                };
            }
        }
        self.stack.push(block);
        self.reported.push(false);
        if block == Block::NaturalPerson {
            self.check_form_header(at);
        }
    }

    /// The employer zones come before the first natural person (xs:sequence): check them then,
    /// so that a bad header skips its persons instead of attaching them to the wrong employer.
    fn check_form_header(&mut self, at: u64) {
        if self.form.header_checked {
            return;
        }
        self.form.header_checked = true;
        if self.form.poisoned {
            // A header zone was already rejected with its own location.
            return;
        }
        let problem = if self.form.quarter.is_none() {
            Some(Problem::MissingZone { zone: "Quarter" })
        } else if self.form.noss.is_none() {
            Some(Problem::MissingZone {
                zone: "NOSSRegistrationNbr",
            })
        } else if self.form.company.is_none() {
            Some(Problem::MissingZone { zone: "CompanyID" })
        } else if self.form.noss == Some(0) && self.form.company == Some(None) {
            Some(Problem::InvalidValue {
                zone: "NOSSRegistrationNbr",
                value: "0".into(),
                reason: "0 is only allowed with a CompanyID: the employer is not identified",
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            // Report against the EmployerDeclaration, not the person being opened.
            let loc = self
                .form
                .location
                .clone()
                .unwrap_or_else(|| self.location_at(at, None));
            self.form.poisoned = true;
            self.out.push_back(Item::Rejected(RecordError {
                location: loc,
                problem,
                dropped: Dropped::Form {
                    form: self.form.ordinal,
                },
            }));
        }
    }

    /// Closes the innermost block: checks its mandatory zones and hands it to its parent.
    fn close(&mut self, at: u64) {
        let Some(block) = self.stack.last().copied() else {
            return;
        };
        let missing = |zone: &'static str| Problem::MissingZone { zone };
        let already = self.reported.last().copied().unwrap_or(false);
        if self.form.poisoned
            && matches!(
                block,
                Block::WorkerRecord | Block::Occupation | Block::Service | Block::Remun
            )
        {
            // The whole form is already reported as skipped; its inner blocks are not read.
            self.stack.pop();
            self.reported.pop();
            return;
        }
        match block {
            Block::Service => {
                let s = std::mem::take(&mut self.service);
                match (s.sequence, s.code, s.days) {
                    (Some(sequence), Some(code), Some(days)) if !s.poisoned => {
                        self.occ.services.push(Service {
                            sequence,
                            code,
                            days,
                            hours: s.hours,
                        })
                    }
                    (seq, code, _) if !already => {
                        let zone = if seq.is_none() {
                            "ServiceSequenceNbr"
                        } else if code.is_none() {
                            "ServiceCode"
                        } else {
                            "ServiceNbrDays"
                        };
                        self.service.ordinal = s.ordinal;
                        self.service.code = s.code;
                        let loc = self.location_at(at, None);
                        self.reject(missing(zone), loc);
                    }
                    _ => {}
                }
            }
            Block::Remun => {
                let r = std::mem::take(&mut self.remun);
                match (r.sequence, r.code, r.amount) {
                    (Some(sequence), Some(code), Some(amount_cents)) if !r.poisoned => {
                        self.occ.remunerations.push(Remuneration {
                            sequence,
                            code,
                            amount_cents,
                        })
                    }
                    (seq, code, _) if !already => {
                        let zone = if seq.is_none() {
                            "RemunSequenceNbr"
                        } else if code.is_none() {
                            "RemunCode"
                        } else {
                            "RemunAmount"
                        };
                        self.remun.ordinal = r.ordinal;
                        let loc = self.location_at(at, None);
                        self.reject(missing(zone), loc);
                    }
                    _ => {}
                }
            }
            Block::Occupation => {
                let o = std::mem::take(&mut self.occ);
                let problem = match (
                    o.sequence,
                    &o.joint_committee,
                    o.days_per_week,
                    o.contract_type,
                ) {
                    (None, ..) => Some(missing("OccupationSequenceNbr")),
                    (_, None, ..) => Some(missing("JointCommissionNbr")),
                    (_, _, None, _) => Some(missing("WorkingDaysSystem")),
                    (_, _, _, None) => Some(missing("ContractType")),
                    _ => match (o.start, o.end) {
                        (Some(s), Some(e)) if e < s => Some(Problem::InvalidValue {
                            zone: "OccupationEndingDate",
                            value: e.to_string(),
                            reason: "before OccupationStartingDate",
                        }),
                        _ => None,
                    },
                };
                match problem {
                    Some(_) if already => {}
                    Some(p) => {
                        self.occ.ordinal = o.ordinal;
                        let loc = self.location_at(at, None);
                        self.reject(p, loc);
                    }
                    None => {
                        if let (Some(sequence), Some(jc), Some(r), Some(ct)) = (
                            o.sequence,
                            o.joint_committee,
                            o.days_per_week,
                            o.contract_type,
                        ) {
                            self.record.occupations.push(Occupation {
                                sequence,
                                start: o.start,
                                end: o.end,
                                joint_committee: jc,
                                days_per_week: r,
                                contract_type: ct,
                                reference_hours: o.reference_hours,
                                worker_status: o.worker_status,
                                mean_hours: o.mean_hours,
                                days_justification: o.days_justification,
                                services: o.services,
                                remunerations: o.remunerations,
                            });
                        }
                    }
                }
            }
            Block::WorkerRecord => {
                let problem = if already {
                    None
                } else if self.record.employer_class.is_none() {
                    Some(missing("EmployerClass"))
                } else if self.record.worker_code.is_none() {
                    Some(missing("WorkerCode"))
                } else if self.record.quarter_start.is_none() {
                    Some(missing("NOSSQuarterStartingDate"))
                } else if self.record.quarter_end.is_none() {
                    Some(missing("NOSSQuarterEndingDate"))
                } else if self.record.quarter_end < self.record.quarter_start {
                    Some(Problem::InvalidValue {
                        zone: "NOSSQuarterEndingDate",
                        value: self
                            .record
                            .quarter_end
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        reason: "before NOSSQuarterStartingDate",
                    })
                } else {
                    None
                };
                if let Some(p) = problem {
                    let loc = self.location_at(at, None);
                    self.reject(p, loc);
                }
                let r = std::mem::take(&mut self.record);
                if !r.poisoned
                    && let (Some(ec), Some(wc), Some(qs), Some(qe)) = (
                        r.employer_class,
                        r.worker_code,
                        r.quarter_start,
                        r.quarter_end,
                    )
                {
                    self.person.records.push(WorkerRecord {
                        employer_class: ec,
                        worker_code: wc,
                        quarter_start: qs,
                        quarter_end: qe,
                        occupations: r.occupations,
                    });
                }
            }
            Block::NaturalPerson => {
                if self.form.poisoned {
                    self.form.skipped_persons += 1;
                } else {
                    let problem = if already {
                        None
                    } else if self.person.sequence.is_none() {
                        Some(missing("NaturalPersonSequenceNbr"))
                    } else if self.person.niss.is_none() && !self.person.poisoned {
                        Some(missing("INSS"))
                    } else {
                        None
                    };
                    if let Some(p) = problem {
                        let loc = self.location_at(at, None);
                        self.reject(p, loc);
                    }
                }
                self.form.persons_seen += 1;
                let p = std::mem::take(&mut self.person);
                if !p.poisoned
                    && !self.form.poisoned
                    && let (Some(niss), Some(sequence), Some(quarter), Some(noss), Some(company)) = (
                        p.niss,
                        p.sequence,
                        self.form.quarter,
                        self.form.noss,
                        self.form.company,
                    )
                {
                    self.out.push_back(Item::Person(PersonDeclaration {
                        form: self.form.ordinal,
                        form_created: self
                            .form
                            .created_date
                            .map(|d| d.and_time(self.form.created_time.unwrap_or(NaiveTime::MIN))),
                        refused_parts: p.refused_parts,
                        quarter,
                        employer: Employer { noss, company },
                        niss,
                        sequence,
                        worker_records: p.records,
                    }));
                }
            }
            Block::EmployerDeclaration => {
                // A form with no natural person still needs its header checked.
                if !self.form.header_checked {
                    self.check_form_header(at);
                }
            }
            Block::Form => {
                if self.form.poisoned && self.form.skipped_persons > 0 {
                    let loc = self
                        .form
                        .location
                        .clone()
                        .unwrap_or_else(|| self.location_at(at, None));
                    self.out.push_back(Item::Rejected(RecordError {
                        location: loc,
                        problem: Problem::FormSkipped {
                            persons: self.form.skipped_persons,
                        },
                        dropped: Dropped::Form {
                            form: self.form.ordinal,
                        },
                    }));
                }
            }
            Block::Root => {}
        }
        self.stack.pop();
        self.reported.pop();
    }

    /// Handles one start tag (or empty tag) inside the current block; `name` indexes the window
    /// (the tag was just read, nothing else yet).
    fn start(&mut self, name: (usize, usize), empty: bool, at: u64) -> Result<(), ParseError> {
        let known = classify(&self.xml.window()[name.0..name.1]);
        let Some(&current) = self.stack.last() else {
            if self.saw_root {
                return Err(self.malformed("a second root element"));
            }
            if known == Name::Block(Block::Root) {
                self.saw_root = true;
                self.open(Block::Root, at);
                if empty {
                    self.close(at);
                }
                return Ok(());
            }
            let n = &self.xml.window()[name.0..name.1];
            let root = String::from_utf8_lossy(&n[..n.len().min(60)]).into_owned();
            return Err(ParseError::NotDmfa {
                location: self.location_at(at, None),
                root,
            });
        };
        if let Some(block) = current.child(known) {
            self.open(block, at);
            if empty {
                self.close(at);
            }
            return Ok(());
        }
        if let Some(zone) = Zone::of(current, known) {
            let text_at = self.here();
            let skip = (current == Block::NaturalPerson
                || current == Block::WorkerRecord
                || current == Block::Occupation
                || current == Block::Service
                || current == Block::Remun)
                && self.form.poisoned;
            // The usual zone, `value</Zone>` with no reference, read in one step; the value is
            // checked where it lies in the window (lent out meanwhile: `apply` reads nothing).
            let fast = if empty { None } else { self.xml.leaf_end() };
            let result = if let Some((a, b)) = fast {
                if skip {
                    return Ok(());
                }
                let window = self.xml.lend_window();
                let r = self.apply(zone, &window[a..b]);
                self.xml.return_window(window);
                r
            } else {
                let simple = if empty {
                    self.text.clear();
                    true
                } else {
                    // A report on this zone points at its text: keep it in the window meanwhile.
                    self.xml.keep = text_at;
                    let r = self.read_leaf();
                    self.xml.keep = u64::MAX;
                    r?
                };
                if skip {
                    return Ok(());
                }
                if simple {
                    let text = std::mem::take(&mut self.text);
                    let r = self.apply(zone, &text);
                    self.text = text;
                    r
                } else {
                    Err(Problem::InvalidValue {
                        zone: zone.name(),
                        value: String::new(),
                        reason: "holds elements instead of a value",
                    })
                }
            };
            if let Err(p) = result {
                let loc = self.location_at(text_at, Some(zone.name()));
                self.reject(p, loc);
            }
            return Ok(());
        }
        if !empty {
            // Not needed by the importer: skip the whole subtree.
            self.skip_to_end(name)?;
        }
        Ok(())
    }

    /// Reads until at least one item is ready or the document ends.
    fn pump(&mut self) -> Result<(), ParseError> {
        while self.out.is_empty() && !self.done {
            let mut at = self.here();
            let step = match self.xml.fast_tag() {
                Some(FastTag::Start { name, at: tag_at }) => {
                    at = tag_at;
                    Step::Start { name, empty: false }
                }
                Some(FastTag::End) => Step::End,
                None => {
                    let ev = match self.xml.next() {
                        Ok(ev) => ev,
                        Err(e) => return Err(self.malformed(e)),
                    };
                    match ev {
                        Ev::Start { name, empty } => Step::Start { name, empty },
                        Ev::End => Step::End,
                        Ev::Text(a, b) => {
                            let t = &self.xml.window()[a..b];
                            if t.iter().all(u8::is_ascii_whitespace) {
                                Step::Nothing
                            } else {
                                Step::Stray(lossy(t.trim_ascii()))
                            }
                        }
                        Ev::Ref(..) | Ev::CData(..) => Step::Stray(String::new()),
                        Ev::Eof => Step::Eof,
                        Ev::Other => Step::Nothing,
                    }
                }
            };
            self.step(step, at)?;
        }
        Ok(())
    }

    fn step(&mut self, step: Step, at: u64) -> Result<(), ParseError> {
        match step {
            Step::Start { name, empty } => self.start(name, empty, at)?,
            Step::End => {
                let end_at = self.here();
                self.close(end_at);
            }
            Step::Nothing => {}
            Step::Stray(value) => {
                // Only whitespace may sit between the elements of a DmfA.
                if self.stack.is_empty() {
                    return Err(self.malformed("text outside the root element"));
                }
                let loc = self.location_at(at, None);
                self.reject(
                    Problem::InvalidValue {
                        zone: self.stack.last().map_or("DmfAOriginal", |b| b.name()),
                        value,
                        reason: "text between elements",
                    },
                    loc,
                );
            }
            Step::Eof => {
                self.done = true;
                if !self.saw_root {
                    return Err(ParseError::NotDmfa {
                        location: self.location_at(self.here(), None),
                        root: String::new(),
                    });
                }
                if !self.stack.is_empty() {
                    return Err(ParseError::Truncated {
                        location: self.location_at(self.here(), None),
                    });
                }
            }
        }
        Ok(())
    }
}

enum Step {
    /// A start tag; the name indexes the window.
    Start {
        name: (usize, usize),
        empty: bool,
    },
    End,
    Stray(String),
    Eof,
    Nothing,
}

impl<R: Read> Iterator for DmfaReader<R> {
    type Item = Result<Item, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(item) = self.out.pop_front() {
            return Some(Ok(item));
        }
        if self.done {
            return None;
        }
        match self.pump() {
            Ok(()) => self.out.pop_front().map(Ok),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod parse_int_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text reads as a checked decimal parse would read it, without a panic (the
        /// fuzzer's overflow: non-digit bytes on the fast path of up to 19 bytes).
        #[test]
        fn any_text_reads_as_the_checked_parse(text in proptest::collection::vec(any::<u8>(), 0..24)) {
            let fast = parse_int(Zone::NaturalPersonSequenceNbr, &text, 0, u64::MAX).ok();
            let slow = std::str::from_utf8(&text)
                .ok()
                .map(|s| s.trim_ascii())
                .map(|s| s.strip_prefix('+').unwrap_or(s))
                .filter(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|d| d.parse::<u64>().ok());
            prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn non_digits_on_the_fast_path_are_refused() {
        assert!(parse_int(Zone::NaturalPersonSequenceNbr, &[0xFF; 19], 0, u64::MAX).is_err());
    }
}
