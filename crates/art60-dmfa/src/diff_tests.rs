//! Differential tests of the fast reader (issue 16): on generated declarations, the official
//! samples and mutated copies of both (bytes deleted, inserted, replaced, markup snippets and
//! whole zones moved), it must give what the reference reader (the quick-xml reader it
//! replaced, [`crate::parser_ref`]) gives: the same items in the same order, the same error
//! with the same location and message, the same counts. The fast reader is also fed in
//! irregular small reads and with a tiny window, so tokens straddle reads and the window
//! moves and grows under every kind of token.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad setup

use std::io::Read;

use proptest::prelude::*;

use crate::parser::{DmfaReader, Item, ReadStats};
use crate::synth::{SynthOptions, write_synthetic};

/// Everything a reader says about an input, errors as their debug text (location included).
#[derive(Debug, PartialEq)]
struct Outcome {
    items: Vec<Result<Item, String>>,
    stats: ReadStats,
}

fn fast<R: Read>(r: DmfaReader<R>) -> Outcome {
    let mut r = r;
    let items = r
        .by_ref()
        .map(|i| i.map_err(|e| format!("{e:?}")))
        .collect();
    Outcome {
        items,
        stats: r.stats(),
    }
}

fn reference(input: &[u8]) -> Outcome {
    let mut r = crate::parser_ref::DmfaReader::new(input).unwrap();
    let items = r
        .by_ref()
        .map(|i| i.map_err(|e| format!("{e:?}")))
        .collect();
    Outcome {
        items,
        stats: r.stats(),
    }
}

/// Hands the input over in reads of the given sizes, in turn.
struct Chunky<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl Read for Chunky<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes[self.i % self.sizes.len()].max(1);
        self.i += 1;
        let n = want.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn check(input: &[u8], sizes: &[usize], window: usize) {
    let want = reference(input);
    let whole = fast(DmfaReader::new(input).unwrap());
    assert_eq!(whole, want, "whole input");
    let chunked = fast(
        DmfaReader::with_window(
            Chunky {
                data: input,
                sizes: sizes.to_vec(),
                i: 0,
            },
            window,
        )
        .unwrap(),
    );
    assert_eq!(chunked, want, "reads of {sizes:?}, window {window}");
}

fn samples() -> Vec<Vec<u8>> {
    let dir = format!("{}/../../../shared/data/dmfa", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "xml"))
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn synthetic(workers: u64, seed: u64, per_form: u32) -> Vec<u8> {
    let mut out = Vec::new();
    write_synthetic(
        &mut out,
        &SynthOptions {
            workers,
            seed,
            persons_per_form: per_form,
        },
    )
    .unwrap();
    out
}

/// Snippets that exercise every token kind and every error of the tokenizer.
const SNIPPETS: &[&str] = &[
    "<",
    ">",
    "/",
    "&",
    ";",
    "&amp;",
    "&lt;",
    "&#65;",
    "&#x41;",
    "&#x;",
    "&#0;",
    "&big;",
    "&",
    "<!-- c -->",
    "<!---->",
    "<!--->",
    "<!-- -- -->",
    "<![CDATA[7]]>",
    "<![CDATA[",
    "<!x>",
    "<?pi x?>",
    "<?xml version=\"1.0\"?>",
    "<?>",
    "<!DOCTYPE>",
    "<!DOCTYPE d [<!ENTITY e \"1\">]>",
    "<!doctype d>",
    "\"",
    "'",
    " ",
    "\n",
    "\r\n",
    "\t",
    "\u{c}",
    "<Border>0</Border>",
    "<Service>",
    "</Service>",
    "<Remun>",
    "</Remun>",
    "<INSS>",
    "</INSS>",
    "<Occupation>",
    "</Occupation>",
    "<WorkerRecord>",
    "</WorkerRecord>",
    "<NaturalPerson>",
    "</NaturalPerson>",
    "<Form>",
    "</Form>",
    "x",
    "0",
    "9",
    "-",
    "+",
    "<a/>",
    "</a>",
    "<a>",
    "<a b=\"c>\">",
    "<a b='>'/>",
    "</ServiceCode >",
    "<ServiceCode a='1'>",
    "<Service/>",
    "<INSS/>",
    "\u{feff}",
    "\u{e9}",
    "]]>",
    "<!",
    "<?",
    "</",
    "/>",
    "<a\"b>",
    "</a\"b>",
    "<Quarter>20223</Quarter>",
    "<ServiceCode>001</ServiceCode>",
    "<ServiceNbrDays>100</ServiceNbrDays>",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        snippet: usize,
    },
    Byte {
        at: usize,
        byte: u8,
    },
    /// Copies `len` bytes from `from` to `at` (moves whole zones and blocks around).
    Copy {
        from: usize,
        len: usize,
        at: usize,
    },
    /// Cuts the input there.
    Truncate {
        at: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = any::<prop::sample::Index>();
    prop_oneof![
        (pos.clone(), 1usize..40).prop_map(|(at, len)| Mutation::Delete {
            at: at.index(usize::MAX),
            len
        }),
        (pos.clone(), 0..SNIPPETS.len()).prop_map(|(at, snippet)| Mutation::Insert {
            at: at.index(usize::MAX),
            snippet
        }),
        (pos.clone(), any::<u8>()).prop_map(|(at, byte)| Mutation::Byte {
            at: at.index(usize::MAX),
            byte
        }),
        (pos.clone(), 1usize..400, pos.clone()).prop_map(|(from, len, at)| Mutation::Copy {
            from: from.index(usize::MAX),
            len,
            at: at.index(usize::MAX)
        }),
        pos.prop_map(|at| Mutation::Truncate {
            at: at.index(usize::MAX)
        }),
    ]
}

fn apply(mut x: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let n = x.len().max(1);
        match *m {
            Mutation::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(x.len());
                if at < end {
                    x.drain(at..end);
                }
            }
            Mutation::Insert { at, snippet } => {
                let at = (at % n).min(x.len());
                let s = SNIPPETS[snippet].as_bytes();
                x.splice(at..at, s.iter().copied());
            }
            Mutation::Byte { at, byte } => {
                if !x.is_empty() {
                    let at = at % n;
                    x[at] = byte;
                }
            }
            Mutation::Copy { from, len, at } => {
                let from = from % n;
                let end = (from + len).min(x.len());
                let piece: Vec<u8> = x.get(from..end).unwrap_or_default().to_vec();
                let at = (at % n).min(x.len());
                x.splice(at..at, piece);
            }
            Mutation::Truncate { at } => x.truncate(at % n),
        }
    }
    x
}

fn read_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..300, 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn fast_reader_matches_reference_on_mutated_synthetic(
        workers in 1u64..12,
        seed in 0u64..1000,
        per_form in 1u32..6,
        ms in prop::collection::vec(mutation(), 0..5),
        sizes in read_sizes(),
        window in 1usize..200,
    ) {
        let x = apply(synthetic(workers, seed, per_form), &ms);
        check(&x, &sizes, window);
    }

    #[test]
    fn fast_reader_matches_reference_on_mutated_samples(
        which in any::<prop::sample::Index>(),
        ms in prop::collection::vec(mutation(), 0..5),
        sizes in read_sizes(),
        window in 1usize..200,
    ) {
        let all = samples();
        prop_assume!(!all.is_empty());
        let x = apply(all[which.index(all.len())].clone(), &ms);
        check(&x, &sizes, window);
    }

    /// Snippets alone and in pairs inside a minimal declaration: every tokenizer path, errors
    /// included, at the start, in the middle and at the end of the input.
    #[test]
    fn fast_reader_matches_reference_on_snippets(
        picks in prop::collection::vec(0..SNIPPETS.len(), 0..6),
        place in 0usize..4,
        sizes in read_sizes(),
    ) {
        let inner: String = picks.iter().map(|&i| SNIPPETS[i]).collect();
        let doc = match place {
            0 => inner.clone(),
            1 => format!("<DmfAOriginal>{inner}</DmfAOriginal>"),
            2 => format!("<DmfAOriginal><Form><EmployerDeclaration><Quarter>20223</Quarter><NOSSRegistrationNbr>199999934</NOSSRegistrationNbr><CompanyID>0</CompanyID><NaturalPerson>{inner}</NaturalPerson></EmployerDeclaration></Form></DmfAOriginal>"),
            _ => format!("{inner}<DmfAOriginal/>{inner}"),
        };
        check(doc.as_bytes(), &sizes, 3);
    }
}

#[test]
fn fast_reader_matches_reference_on_samples_and_a_larger_file() {
    let mut inputs = samples();
    assert!(!inputs.is_empty(), "the sample declarations are missing");
    inputs.push(synthetic(300, 7, 40));
    for x in &inputs {
        for (sizes, window) in [(vec![1], 1), (vec![7, 1, 300], 16), (vec![65536], 1 << 18)] {
            check(x, &sizes, window);
        }
    }
}

/// Every name the old reader matched byte by byte is still recognised, and only in its block.
#[test]
fn every_known_name_is_classified() {
    let big = synthetic(50, 11, 10);
    let want = reference(&big);
    assert!(want.items.iter().all(|i| matches!(i, Ok(Item::Person(_)))));
    assert_eq!(fast(DmfaReader::new(&big[..]).unwrap()), want);
}

/// A zone that holds a large subtree is rejected at the exact line and column of its text, and
/// the window does not grow to hold the subtree (its position is worked out before the window
/// moves past it).
#[test]
fn zone_holding_a_large_subtree_keeps_memory_flat_and_location_exact() {
    let base = String::from_utf8(synthetic(3, 5, 3)).unwrap();
    let tag = "<ServiceNbrDays>";
    let i = base.find(tag).unwrap() + tag.len();
    let close = i + base[i..].find('<').unwrap();
    let subtree = "<x>\n<y>1</y>\n</x>\n".repeat(20_000);
    let x = format!("{}{}{}", &base[..i], subtree, &base[close..]);
    let line = x[..i].matches('\n').count() as u64 + 1;
    let column = (i - x[..i].rfind('\n').map_or(0, |n| n + 1)) as u64 + 1;
    let mut r = DmfaReader::with_window(
        Chunky {
            data: x.as_bytes(),
            sizes: vec![4096],
            i: 0,
        },
        256,
    )
    .unwrap();
    let rejected: Vec<_> = r
        .by_ref()
        .filter_map(|i| match i.unwrap() {
            Item::Rejected(e) => Some(e),
            Item::Person(_) => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let loc = &rejected[0].location;
    assert_eq!((loc.line, loc.column), (line, column));
    assert!(loc.path.ends_with("/ServiceNbrDays"), "{}", loc.path);
    assert!(
        r.window_capacity() <= 8192,
        "window grew to {}",
        r.window_capacity()
    );
}

/// Long tokens arriving in small reads (an upload stream) are scanned once: each search goes on
/// where the previous one stopped. A rescan from the token's start on every read would make
/// these 1 MB tokens take minutes instead of a moment.
#[test]
fn long_tokens_in_small_reads_are_scanned_once() {
    let long = 1 << 20;
    for (open, filler, close) in [
        ("<!--", "-", "-->"),
        ("<![CDATA[", "]", "]]>"),
        ("<a b='", ">", "'>"),
        ("<!DOCTYPE d [", "<>", "]>"),
        ("", " ", ""),
    ] {
        let mut x = String::from("<DmfAOriginal>");
        x.push_str(open);
        x.push_str(&filler.repeat(long / filler.len()));
        x.push_str(close);
        x.push_str("</DmfAOriginal>");
        let x = x.into_bytes();
        let chunked = fast(
            DmfaReader::with_window(
                Chunky {
                    data: &x,
                    sizes: vec![64],
                    i: 0,
                },
                64,
            )
            .unwrap(),
        );
        // The reference puts a report on a token longer than its 64 KiB chunk at the start of
        // the previous chunk; the fast reader has the exact place (the CDATA starts at column 15).
        let without_place = |mut o: Outcome| {
            for i in o.items.iter_mut() {
                if let Ok(Item::Rejected(e)) = i {
                    (e.location.line, e.location.column) = (0, 0);
                }
            }
            o
        };
        if let Some(Ok(Item::Rejected(e))) = chunked.items.first() {
            assert_eq!((e.location.line, e.location.column), (1, 15), "{open}");
        }
        assert_eq!(
            without_place(chunked),
            without_place(reference(&x)),
            "{open}"
        );
    }
}
