//! The reader as it was before issue 16 (quick-xml events over a `BufRead`), kept for tests
//! only: the differential tests check that the fast reader in [`crate::parser`] gives the same
//! items, rejections and errors on generated and mutated declarations.

#![allow(dead_code, clippy::all)]

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, Read};

use art60_rules::input::Quarter;
use art60_rules::units::Hundredths;
use art60_rules::{Kbo, Niss};
use chrono::{NaiveDate, NaiveTime};
use quick_xml::events::Event;

use crate::codes::{CodeProblem, ServiceCodes};
use crate::model::{
    ContractType, Employer, JointCommittee, Occupation, PersonDeclaration, Remuneration, Service,
    WorkerRecord,
};
use crate::parser::{Dropped, Item, Location, ParseError, Parsed, Problem, ReadStats, RecordError};

/// Reads a whole declaration with the reference reader.
pub(crate) fn parse_reader<R: Read>(reader: R) -> Result<Parsed, ParseError> {
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

// ---------------------------------------------------------------------------------------------
// Line tracking: quick-xml only knows byte offsets. The reader owns its read buffer and counts
// the newlines of each 64 KiB chunk once, when the chunk is done (memchr, several GB/s); a
// position is kept as a byte offset and turned into line and column only when a report needs
// it, by counting inside the current or previous chunk.

const CHUNK: usize = 1 << 16;

/// Newlines before a chunk and where the line holding its first byte starts.
#[derive(Clone, Copy, Default)]
struct ChunkStart {
    offset: u64,
    lines: u64,
    line_start: u64,
}

struct Tracked<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    cur: ChunkStart,
    /// The chunk before the current one, kept for reports on a zone that straddles two chunks.
    prev_buf: Box<[u8]>,
    prev_filled: usize,
    prev: Option<ChunkStart>,
}

impl<R: Read> Tracked<R> {
    fn new(inner: R) -> Self {
        Tracked {
            inner,
            buf: vec![0; CHUNK].into_boxed_slice(),
            pos: 0,
            filled: 0,
            cur: ChunkStart::default(),
            prev_buf: vec![0; CHUNK].into_boxed_slice(),
            prev_filled: 0,
            prev: None,
        }
    }

    /// Bytes consumed so far.
    fn offset(&self) -> u64 {
        self.cur.offset + self.pos as u64
    }

    /// 1-based line and byte column of an offset in the current or previous chunk; older
    /// offsets resolve to the start of the previous chunk (only a zone longer than a chunk).
    fn line_col(&self, at: u64) -> (u64, u64) {
        let (start, data) = if at >= self.cur.offset {
            (self.cur, &self.buf[..self.filled])
        } else if let Some(p) = self.prev.filter(|p| at >= p.offset) {
            (p, &self.prev_buf[..self.prev_filled])
        } else {
            let p = self.prev.unwrap_or(self.cur);
            return (p.lines + 1, p.offset - p.line_start + 1);
        };
        let upto = ((at - start.offset) as usize).min(data.len());
        let (n, last) = count_lines(&data[..upto]);
        let line_start = last.map_or(start.line_start, |i| start.offset + i as u64 + 1);
        (start.lines + n + 1, at - line_start + 1)
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            let (n, last) = count_lines(&self.buf[..self.filled]);
            let next = ChunkStart {
                offset: self.cur.offset + self.filled as u64,
                lines: self.cur.lines + n,
                line_start: last.map_or(self.cur.line_start, |i| self.cur.offset + i as u64 + 1),
            };
            std::mem::swap(&mut self.buf, &mut self.prev_buf);
            self.prev_filled = self.filled;
            self.prev = Some(self.cur);
            self.cur = next;
            self.pos = 0;
            self.filled = 0;
            self.filled = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
        }
        Ok(&self.buf[self.pos..self.filled])
    }
    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

fn count_lines(b: &[u8]) -> (u64, Option<usize>) {
    let n = memchr::memchr_iter(b'\n', b).count() as u64;
    (
        n,
        if n > 0 {
            memchr::memrchr(b'\n', b)
        } else {
            None
        },
    )
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
    fn child(self, name: &[u8]) -> Option<Block> {
        Some(match (self, name) {
            (Block::Root, b"Form") => Block::Form,
            (Block::Form, b"EmployerDeclaration") => Block::EmployerDeclaration,
            (Block::EmployerDeclaration, b"NaturalPerson") => Block::NaturalPerson,
            (Block::NaturalPerson, b"WorkerRecord") => Block::WorkerRecord,
            (Block::WorkerRecord, b"Occupation") => Block::Occupation,
            (Block::Occupation, b"Service") => Block::Service,
            (Block::Occupation, b"Remun") => Block::Remun,
            _ => return None,
        })
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
    fn of(block: Block, name: &[u8]) -> Option<Zone> {
        use Zone::*;
        Some(match (block, name) {
            (Block::Form, b"FormCreationDate") => FormCreationDate,
            (Block::Form, b"FormCreationHour") => FormCreationHour,
            (Block::EmployerDeclaration, b"Quarter") => Quarter,
            (Block::EmployerDeclaration, b"NOSSRegistrationNbr") => NossRegistrationNbr,
            (Block::EmployerDeclaration, b"CompanyID") => CompanyId,
            (Block::NaturalPerson, b"NaturalPersonSequenceNbr") => NaturalPersonSequenceNbr,
            (Block::NaturalPerson, b"INSS") => Inss,
            (Block::WorkerRecord, b"EmployerClass") => EmployerClass,
            (Block::WorkerRecord, b"WorkerCode") => WorkerCode,
            (Block::WorkerRecord, b"NOSSQuarterStartingDate") => NossQuarterStartingDate,
            (Block::WorkerRecord, b"NOSSQuarterEndingDate") => NossQuarterEndingDate,
            (Block::Occupation, b"OccupationSequenceNbr") => OccupationSequenceNbr,
            (Block::Occupation, b"OccupationStartingDate") => OccupationStartingDate,
            (Block::Occupation, b"OccupationEndingDate") => OccupationEndingDate,
            (Block::Occupation, b"JointCommissionNbr") => JointCommissionNbr,
            (Block::Occupation, b"WorkingDaysSystem") => WorkingDaysSystem,
            (Block::Occupation, b"ContractType") => ContractType,
            (Block::Occupation, b"RefMeanWorkingHours") => RefMeanWorkingHours,
            (Block::Occupation, b"WorkerStatus") => WorkerStatus,
            (Block::Occupation, b"MeanWorkingHours") => MeanWorkingHours,
            (Block::Occupation, b"DaysJustification") => DaysJustification,
            (Block::Service, b"ServiceSequenceNbr") => ServiceSequenceNbr,
            (Block::Service, b"ServiceCode") => ServiceCode,
            (Block::Service, b"ServiceNbrDays") => ServiceNbrDays,
            (Block::Service, b"ServiceNbrHours") => ServiceNbrHours,
            (Block::Remun, b"RemunSequenceNbr") => RemunSequenceNbr,
            (Block::Remun, b"RemunCode") => RemunCode,
            (Block::Remun, b"RemunAmount") => RemunAmount,
            _ => return None,
        })
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

/// XSD integer facets: xs:integer with whitespace collapse, optional `+`, leading zeros allowed.
fn parse_int(zone: Zone, text: &[u8], min: u64, max: u64) -> Result<u64, Problem> {
    let t = text.trim_ascii();
    let digits = t.strip_prefix(b"+").unwrap_or(t);
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
pub(crate) struct DmfaReader<R: Read> {
    xml: quick_xml::Reader<Tracked<R>>,
    buf: Vec<u8>,
    skip_buf: Vec<u8>,
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
    pub(crate) fn new(inner: R) -> Result<Self, ParseError> {
        let mut xml = quick_xml::Reader::from_reader(Tracked::new(inner));
        let cfg = xml.config_mut();
        cfg.check_end_names = true;
        cfg.trim_text(false);
        cfg.expand_empty_elements = false;
        Ok(DmfaReader {
            xml,
            buf: Vec::with_capacity(4096),
            skip_buf: Vec::with_capacity(4096),
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

    pub(crate) fn stats(&self) -> ReadStats {
        let mut s = self.stats;
        s.bytes = self.xml.get_ref().offset();
        s
    }

    /// Bytes read so far (for progress bars).
    pub(crate) fn position(&self) -> u64 {
        self.xml.get_ref().offset()
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
        let (line, column) = self.xml.get_ref().line_col(at);
        Location {
            line,
            column,
            path: self.path(leaf),
        }
    }

    fn here(&self) -> u64 {
        self.xml.get_ref().offset()
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
            self.buf.clear();
            let ev = match self.xml.read_event_into(&mut self.buf) {
                Ok(ev) => ev,
                Err(e) => return Err(self.malformed(e)),
            };
            match ev {
                Event::Text(t) => self.text.extend_from_slice(&t),
                Event::CData(t) => self.text.extend_from_slice(&t),
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => match &*r {
                            b"lt" => Some('<'),
                            b"gt" => Some('>'),
                            b"amp" => Some('&'),
                            b"apos" => Some('\''),
                            b"quot" => Some('"'),
                            _ => None,
                        },
                        Err(_) => None,
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
                            self.text.extend_from_slice(&r);
                            self.text.push(b';');
                        }
                    }
                }
                Event::Start(s) => {
                    simple = false;
                    let name = s.name().as_ref().to_vec();
                    self.skip_buf.clear();
                    if let Err(e) = self
                        .xml
                        .read_to_end_into(quick_xml::name::QName(&name), &mut self.skip_buf)
                    {
                        return Err(self.malformed(e));
                    }
                }
                Event::Empty(_) => simple = false,
                Event::End(_) => return Ok(simple),
                Event::Eof => {
                    return Err(ParseError::Truncated {
                        location: self.location_at(self.here(), None),
                    });
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {}
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

    /// Handles one start tag (or empty tag) inside the current block.
    fn start(&mut self, name: &[u8], empty: bool, at: u64) -> Result<(), ParseError> {
        let Some(&current) = self.stack.last() else {
            if self.saw_root {
                return Err(self.malformed("a second root element"));
            }
            if name == b"DmfAOriginal" {
                self.saw_root = true;
                self.open(Block::Root, at);
                if empty {
                    self.close(at);
                }
                return Ok(());
            }
            return Err(ParseError::NotDmfa {
                location: self.location_at(at, None),
                root: String::from_utf8_lossy(&name[..name.len().min(60)]).into_owned(),
            });
        };
        if let Some(block) = current.child(name) {
            self.open(block, at);
            if empty {
                self.close(at);
            }
            return Ok(());
        }
        if let Some(zone) = Zone::of(current, name) {
            let text_at = self.here();
            let simple = if empty {
                self.text.clear();
                true
            } else {
                self.read_leaf()?
            };
            let skip = (current == Block::NaturalPerson
                || current == Block::WorkerRecord
                || current == Block::Occupation
                || current == Block::Service
                || current == Block::Remun)
                && self.form.poisoned;
            if skip {
                return Ok(());
            }
            let result = if simple {
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
            };
            if let Err(p) = result {
                let loc = self.location_at(text_at, Some(zone.name()));
                self.reject(p, loc);
            }
            return Ok(());
        }
        if !empty {
            // Not needed by the importer: skip the whole subtree in one call.
            self.skip_buf.clear();
            if let Err(e) = self
                .xml
                .read_to_end_into(quick_xml::name::QName(name), &mut self.skip_buf)
            {
                return Err(self.malformed(e));
            }
        }
        Ok(())
    }

    /// Reads until at least one item is ready or the document ends.
    fn pump(&mut self) -> Result<(), ParseError> {
        while self.out.is_empty() && !self.done {
            let at = self.here();
            self.buf.clear();
            let ev = match self.xml.read_event_into(&mut self.buf) {
                Ok(ev) => ev,
                Err(e) => return Err(self.malformed(e)),
            };
            // Copy what is needed out of the event so `self` is free again; the name buffer is
            // reused, so this allocates nothing once warm.
            let mut name = std::mem::take(&mut self.name_buf);
            name.clear();
            let step = match ev {
                Event::Start(s) => {
                    name.extend_from_slice(s.name().as_ref());
                    Step::Start(false)
                }
                Event::Empty(s) => {
                    name.extend_from_slice(s.name().as_ref());
                    Step::Start(true)
                }
                Event::End(_) => Step::End,
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => Step::Nothing,
                Event::Text(t) => Step::Stray(lossy(t.trim_ascii())),
                Event::GeneralRef(_) | Event::CData(_) => Step::Stray(String::new()),
                Event::Eof => Step::Eof,
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {
                    Step::Nothing
                }
            };
            let r = self.step(step, &name, at);
            self.name_buf = name;
            r?;
        }
        Ok(())
    }

    fn step(&mut self, step: Step, name: &[u8], at: u64) -> Result<(), ParseError> {
        match step {
            Step::Start(empty) => self.start(name, empty, at)?,
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
    Start(bool),
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
