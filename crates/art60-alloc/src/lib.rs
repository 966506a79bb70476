//! The global allocator of art60's programs (the `art60` binary, the engine's benchmarks and
//! profiling examples): [mimalloc], entered by its plain calls whenever the alignment asked is
//! one every mimalloc block already has.
//!
//! Why not the `mimalloc` crate's `MiMalloc`: it calls `mi_malloc_aligned` for every block.
//! mimalloc v3 serves that call from its fast path only when the size class's page has a free
//! block; otherwise its fallback keeps the plain path for power-of-two block sizes and
//! over-allocates every other one (`size + alignment - 1`, from the next size class up). The
//! exact size class's page is then never filled, so each allocation of such a size takes the
//! slow path again: about 15 a full plan of the engine, ~3,300 instructions of its ~77,000
//! (issue 16, BENCHMARKS.md, session 19; upstream: microsoft/mimalloc#889,
//! purpleprotocol/mimalloc_rust PR 170). Rust's own `System` allocator makes the same choice
//! as this one for the C library's `malloc`.
//!
//! [mimalloc]: https://github.com/microsoft/mimalloc

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// mimalloc's global allocator. `#[global_allocator] static A: art60_alloc::MiMalloc = art60_alloc::MiMalloc;`
#[derive(Debug, Clone, Copy, Default)]
pub struct MiMalloc;

/// The alignment of every block mimalloc hands out: its size classes are whole machine words
/// (`_mi_wsize_from_size`), its pages start at 16 bytes at least
/// (`MI_PAGE_MIN_START_BLOCK_ALIGN`) and its huge blocks at an OS page. The test
/// `plain_blocks_are_word_aligned` checks it for every small size.
const PLAIN_ALIGN: usize = std::mem::size_of::<usize>();

/// Whether mimalloc's plain call gives this layout its alignment. `align <= size` as in the
/// standard library's `System`: a block smaller than its alignment is left to the aligned call.
#[inline(always)]
fn plain(align: usize, size: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

// SAFETY: every method returns a block of at least the size asked, aligned as asked (the
// plain calls only for alignments mimalloc always gives, see `PLAIN_ALIGN`; the aligned calls
// otherwise), or null when memory is out; mimalloc is thread-safe; `dealloc` and `realloc`
// receive blocks this allocator returned, which `mi_free` and `mi_realloc*` accept whichever
// call made them.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align(), layout.size()) {
            // SAFETY: no precondition; the alignment is one every block has.
            unsafe { mi::mi_malloc(layout.size()) }.cast()
        } else {
            // SAFETY: a `Layout`'s alignment is a non-zero power of two, as mimalloc requires.
            unsafe { mi::mi_malloc_aligned(layout.size(), layout.align()) }.cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align(), layout.size()) {
            // SAFETY: as `alloc`.
            unsafe { mi::mi_zalloc(layout.size()) }.cast()
        } else {
            // SAFETY: as `alloc`.
            unsafe { mi::mi_zalloc_aligned(layout.size(), layout.align()) }.cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: the caller passes a block of this allocator (GlobalAlloc's contract); mimalloc
        // finds any block's page from its address, aligned or not.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(layout.align(), new_size) {
            // SAFETY: `ptr` is a live block of this allocator (GlobalAlloc's contract); the
            // new block keeps the alignment, as every block has it.
            unsafe { mi::mi_realloc(ptr.cast::<c_void>(), new_size) }.cast()
        } else {
            // SAFETY: as above, with a power-of-two alignment.
            unsafe { mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()) }.cast()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::undocumented_unsafe_blocks)]
    use super::*;
    use proptest::prelude::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    /// What `PLAIN_ALIGN` stands on: every small size class, and some large and huge sizes,
    /// many blocks of each (so not only a page's first).
    #[test]
    fn plain_blocks_are_word_aligned() {
        let sizes = (1..=1100).chain([4095, 4096, 8191, 70_000, 1 << 20, 5 << 20]);
        for size in sizes {
            let blocks: Vec<*mut c_void> = (0..9).map(|_| unsafe { mi::mi_malloc(size) }).collect();
            for &p in &blocks {
                assert!(!p.is_null());
                assert!(
                    (p as usize).is_multiple_of(PLAIN_ALIGN),
                    "mi_malloc({size}) at {p:?}"
                );
            }
            for p in blocks {
                unsafe { mi::mi_free(p) };
            }
        }
    }

    /// The plain path is taken exactly where the standard library's `System` takes it, with
    /// mimalloc's word instead of the C library's 16 bytes.
    #[test]
    fn the_plain_path_is_for_word_alignments_up_to_the_size() {
        assert!(plain(1, 1) && plain(8, 8) && plain(4, 24) && plain(8, 1 << 20));
        assert!(!plain(16, 16) && !plain(8, 4) && !plain(64, 4096));
    }

    proptest! {
        /// Any layout: the block is aligned, holds what was written, keeps it through a
        /// growth and a shrink, and a zeroed block is zero.
        #[test]
        fn blocks_keep_their_alignment_and_contents(
            size in 1usize..6000,
            align_log in 0u32..13,
            grow in 1usize..9000,
            shrink_to in 1usize..6000,
        ) {
            let a = MiMalloc;
            let align = 1usize << align_log;
            let l = layout(size, align);
            unsafe {
                let z = a.alloc_zeroed(l);
                prop_assert!(!z.is_null() && (z as usize).is_multiple_of(align));
                prop_assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                a.dealloc(z, l);

                let p = a.alloc(l);
                prop_assert!(!p.is_null() && (p as usize).is_multiple_of(align));
                for i in 0..size {
                    *p.add(i) = (i % 251) as u8;
                }
                let bigger = size + grow;
                let q = a.realloc(p, l, bigger);
                prop_assert!(!q.is_null() && (q as usize).is_multiple_of(align));
                prop_assert!((0..size).all(|i| *q.add(i) == (i % 251) as u8));
                let smaller = shrink_to.min(bigger);
                let r = a.realloc(q, layout(bigger, align), smaller);
                prop_assert!(!r.is_null() && (r as usize).is_multiple_of(align));
                prop_assert!((0..smaller.min(size)).all(|i| *r.add(i) == (i % 251) as u8));
                a.dealloc(r, layout(smaller, align));
            }
        }
    }
}
