// The cores' running clock, measured: /proc/cpuinfo's "cpu MHz" under a hypervisor is the nominal clock,
// not the boost the cores run at, so a peak computed from it can sit below what a kernel achieves.
#pragma once

namespace ab {

// GHz from a chain of dependent integer adds (one per cycle on every x86-64 core since 2013) over each
// thread's CPU time (so a loaded machine reads the same), run on `threads` threads at once; the median of
// their best-of-`trials` readings. 0 where not x86-64.
double measure_clock_ghz(int threads, int trials);

}  // namespace ab
