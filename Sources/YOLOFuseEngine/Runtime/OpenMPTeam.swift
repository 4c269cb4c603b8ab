internal import CDNNL

/// Parallel sections on the OpenMP team that oneDNN's kernels use, so the engine's own loops share those
/// threads instead of bringing a second pool that would fight the team (which spins between regions) for cores.
enum OpenMPTeam {
    /// Runs `body(thread, threadCount)` on every thread of a team of `threads` (0: the calling thread's team
    /// size). Inside another parallel region the team is just the caller, so `body` must split its work by the
    /// count it is given. `body` runs on several threads at once and must be safe to.
    static func parallel(threads: Int = 0, _ body: (_ thread: Int, _ threadCount: Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            var context = escapable
            withUnsafeMutablePointer(to: &context) { pointer in
                GOMP_parallel({ raw in
                    let body = raw!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee
                    body(Int(omp_get_thread_num()), Int(omp_get_num_threads()))
                }, pointer, UInt32(threads), 0)
            }
        }
    }
}
