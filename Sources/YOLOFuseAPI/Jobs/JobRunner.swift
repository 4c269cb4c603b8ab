import Foundation
import Logging
import YOLOFuseDetect
import YOLOFuseStore

/// Runs one claimed job through the tenant's model (`JobRunner+Video`, `JobRunner+Pairs`), writing its result
/// lines and renewing the lease as it goes. Bad input fails the job for good; anything else sends it back to the
/// queue with a back-off.
struct JobRunner: Sendable {
    let store: any StateStore
    let models: TenantModels
    let settings: JobSettings
    let metrics: ServiceMetrics
    let logger: Logger

    /// A bad input: the job fails for good (a retry would fail the same way).
    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    /// The worker no longer holds the job (its lease expired and another worker took it): stop, write nothing.
    struct LeaseLost: Error {}

    /// What a finished job is metered with.
    struct Outcome {
        var units: Int
        var images: Int
        var inferenceMilliseconds: Double
        var modelKey: String
    }

    func run(_ job: JobRecord, worker: String) async {
        let started = ContinuousClock.now
        let outcome: JobOutcome
        var finished: Outcome?
        do {
            let options: Components.Schemas.JobOptions
            do { options = try JSONDecoder().decode(Components.Schemas.JobOptions.self, from: Data(job.parametersJSON.utf8)) } catch {
                throw InputError(description: "the job's options cannot be read: \(error)")
            }
            finished = switch job.kind {
            case .video: try await processVideo(job, options: options, worker: worker)
            case .pairs: try await processPairs(job, options: options, worker: worker)
            }
            outcome = .succeeded
        } catch is LeaseLost {
            logger.warning("job lease lost; another worker has it", metadata: ["job": "\(job.id)"])
            metrics.recordJobAttempt(outcome: "lease_lost", duration: ContinuousClock.now - started, units: 0)
            return
        } catch let error as InputError {
            outcome = .failed(error.description)
        } catch let error as DetectionError {
            outcome = .failed(error.reason)
        } catch let error as APIError where error.status != .unavailable {
            outcome = .failed(error.message)
        } catch is CancellationError {
            outcome = .retry("the worker shut down before finishing", at: Date())
        } catch {
            // Attempt n waits 2^n seconds (2, 4, 8 … at most 5 minutes) before the next claim.
            let delay = min(300, pow(2, Double(job.attempts)))
            outcome = .retry("\(APIError.from(error)?.message ?? "\(error)")", at: Date().addingTimeInterval(delay))
        }
        let label = switch outcome { case .succeeded: "succeeded"; case .failed: "failed"; case .retry: "retry" }
        metrics.recordJobAttempt(outcome: label, duration: ContinuousClock.now - started, units: finished?.units ?? 0)
        // Recorded even while the worker is being cancelled (shutting down): the job must go back to the queue.
        let finishedOutcome = finished
        await Task { await record(outcome, finished: finishedOutcome, job: job, worker: worker) }.value
    }

    /// Ends the attempt in the store and, for a success, meters the job: once per job whatever the attempts,
    /// since the usage key is the job's id.
    private func record(_ outcome: JobOutcome, finished: Outcome?, job: JobRecord, worker: String) async {
        do {
            guard try await store.finishJob(id: job.id, worker: worker, outcome: outcome, now: Date()), let finished else { return }
            _ = try await store.recordUsage(UsageEvent(
                requestID: "job-\(job.id.uuidString.lowercased())", tenantID: job.tenantID, keyID: job.keyID,
                modelVersion: finished.modelKey, images: finished.images, inferenceMilliseconds: finished.inferenceMilliseconds,
                status: 200))
        } catch {
            // The lease runs out and the job is claimed again.
            logger.error("could not record the end of a job", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Writes result lines to a partial file that is moved into place once the job is done.
    final class LineWriter {
        let partial: URL
        private let handle: FileHandle
        private let encoder = JSONEncoder()

        init(partial: URL) throws {
            self.partial = partial
            FileManager.default.createFile(atPath: partial.path, contents: nil)
            handle = try FileHandle(forWritingTo: partial)
            encoder.outputFormatting = .sortedKeys
        }

        func write(_ value: some Encodable) throws {
            var line = try encoder.encode(value)
            line.append(0x0A)
            try handle.write(contentsOf: line)
        }

        func close() throws { try handle.close() }

        deinit { try? handle.close() }
    }

    /// Renews the lease once a third of it has passed since `last` (returns when it did), so a worker that is
    /// alive never loses its job.
    func renewIfDue(_ job: JobRecord, worker: String, since last: ContinuousClock.Instant, progress: Int, total: Int?) async throws
        -> ContinuousClock.Instant {
        guard ContinuousClock.now - last > settings.lease / 3 else { return last }
        try await renew(job, worker: worker, progress: progress, total: total)
        return ContinuousClock.now
    }

    func renew(_ job: JobRecord, worker: String, progress: Int, total: Int?) async throws {
        let until = Date().addingTimeInterval(settings.lease.milliseconds / 1000)
        guard try await store.renewJobLease(id: job.id, worker: worker, until: until, progress: progress, total: total) else { throw LeaseLost() }
    }
}
