/// How a stream of pairs (a folder, a video) is best worked through on a detector. Where images run fastest one
/// per core, a pair per core is in flight, each model run on one core, so one core decodes and letterboxes while
/// the other runs the model and neither waits for the other. Otherwise each run takes every core, and one more
/// pair is read and decoded meanwhile.
public struct PairSchedule: Sendable {
    /// Pairs (or batches) in flight at once.
    public var inFlight: Int
    /// Cores for each model run (nil: all).
    public var threads: Int?

    public init(detector: any PairDetector, batch: Int = 1) {
        if batch == 1, let single = detector as? Detector, single.cores > 1, single.runsImagePerCore {
            inFlight = single.cores
            threads = 1
        } else {
            inFlight = 2
            threads = nil
        }
    }
}

extension PairDetector {
    /// Detects with each model run on `threads` cores (a schedule's); decision-level fusion runs its two models
    /// as it always does.
    public func detect(_ inputs: [DetectionInput], options: DetectionOptions, threads: Int?) async throws -> [DetectionResult] {
        guard let single = self as? Detector else { return try await detect(inputs, options: options) }
        return try await single.detect(inputs, eachWith: inputs.map { _ in options }, threads: threads)
    }
}
