#if canImport(Glibc)
import Glibc
#endif

/// Process-wide settings of the C runtimes under the engine, applied before anything runs.
enum ProcessTuning {
    /// How long an OpenMP thread spins for more work after a parallel region before it sleeps.
    static let openMPSpinCount = "10000"

    static func apply() {
        #if canImport(Glibc)
        limitOpenMPSpinning()
        mapLargeBuffers()
        #endif
    }

    #if canImport(Glibc)
    /// oneDNN's OpenMP threads spin after every parallel region, 300,000 rounds by default (milliseconds here),
    /// on cores that the rest of a request (JPEG decoding, letterboxing, HTTP) needs next: preprocessing took
    /// half as long again. A short spin still bridges the microsecond gaps between one inference's kernels.
    /// libgomp reads its settings from the environment once, as it loads, so the process sets the variable and
    /// starts itself again; an operator's own GOMP_SPINCOUNT or OMP_WAIT_POLICY is left alone.
    private static func limitOpenMPSpinning() {
        guard getenv("GOMP_SPINCOUNT") == nil, getenv("OMP_WAIT_POLICY") == nil else { return }
        setenv("GOMP_SPINCOUNT", openMPSpinCount, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when the exec failed: carry on with libgomp's defaults.
    }

    /// glibc raises its mmap threshold to the largest buffer freed (up to 32 MiB) and serves later ones from
    /// its heaps, which the buffers of requests running on several threads fragment: resident memory grew by
    /// hundreds of megabytes at batch 8. A fixed 1 MiB threshold keeps large buffers mapped and returned on free;
    /// the tensors a request allocates again and again come from YOLOFuseTensor's own small cache instead. Heaps
    /// keep up to 32 MiB free rather than trimming at 128 KiB and faulting the next request's arrays in again.
    private static func mapLargeBuffers() {
        // mallopt lives in <malloc.h>, which the Glibc module does not export.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 1 << 20)
        _ = mallopt(trimThreshold, 32 << 20)
    }
    #endif
}
