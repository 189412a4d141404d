//! The services' allocator (Linux): mimalloc, called through its plain entry
//! points whenever a layout lets it.
//!
//! The `mimalloc` crate sends every allocation through `mi_malloc_aligned`,
//! whose extra checks cost about 20 instructions each; a request to A makes
//! about twenty allocations. A block from `mi_malloc` is aligned to 16 bytes,
//! or to its own size when that is smaller (blocks come in multiples of 8), so
//! any layout whose alignment is at most 16 and divides its size can take the
//! plain path (as `std`'s own `System` allocator does with `malloc`; the same
//! change is proposed to the `mimalloc` crate, purpleprotocol/mimalloc_rust#170).
//! Every other layout keeps the aligned entry points.

// A global allocator is `unsafe` by definition; this is the services' only unsafe code.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The alignment every `mi_malloc` block of at least this size has (`MI_MAX_ALIGN_SIZE`).
const PLAIN_ALIGN: usize = 16;

/// mimalloc as the global allocator: `#[global_allocator] static A: MiMalloc = MiMalloc;`
#[derive(Debug, Clone, Copy, Default)]
pub struct MiMalloc;

/// Whether a plain mimalloc block of `size` bytes is aligned to `align`.
fn plain(align: usize, size: usize) -> bool {
    align <= PLAIN_ALIGN && size.is_multiple_of(align)
}

// SAFETY: every pointer handed out comes from mimalloc, which frees and
// reallocates its own blocks whichever entry point made them; alignment is
// kept as explained above.
unsafe impl GlobalAlloc for MiMalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain C calls; mimalloc returns null on failure, as required.
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (the caller's contract).
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by this allocator with `layout` (the caller's contract).
        unsafe {
            if plain(layout.align(), new_size) {
                mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_have_the_alignment_their_layout_asks() {
        let allocator = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 8, 12, 16, 24, 40, 48, 100, 1024, 8192, 70_000] {
                let Ok(layout) = Layout::from_size_align(size, align) else { continue };
                // SAFETY: a non-zero size; freed with the same layout below.
                unsafe {
                    let ptr = allocator.alloc(layout);
                    assert!(!ptr.is_null());
                    assert_eq!(ptr as usize % align, 0, "size {size} align {align}");
                    ptr.write_bytes(0xAB, size);
                    let grown = allocator.realloc(ptr, layout, size * 3);
                    assert_eq!(grown as usize % align, 0, "grown: size {size} align {align}");
                    assert_eq!(*grown.add(size - 1), 0xAB, "realloc keeps the bytes");
                    allocator.dealloc(grown, Layout::from_size_align(size * 3, align).unwrap());
                    let zeroed = allocator.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0);
                    assert!(std::slice::from_raw_parts(zeroed, size).iter().all(|&b| b == 0));
                    allocator.dealloc(zeroed, layout);
                }
            }
        }
    }
}
