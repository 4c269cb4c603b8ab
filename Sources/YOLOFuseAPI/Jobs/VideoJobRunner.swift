import Foundation
import Logging
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseVideo
import YOLOFuseStore
import YOLOFuseVision

/// Runs one claimed video job: every frame pair through the tenant's model (decoding the next pair while the
/// current one is detected), one JSON line per pair into the job's result file, the lease renewed as it goes.
/// Bad input fails the job for good; anything else sends it back to the queue with a back-off.
struct VideoJobRunner: Sendable {
    let store: any StateStore
    let models: TenantModels
    let settings: JobSettings
    let metrics: ServiceMetrics
    let logger: Logger

    /// The worker no longer holds the job (its lease expired and another worker took it): stop, write nothing.
    struct LeaseLost: Error {}

    struct Outcome {
        var pairs: Int
        var inferenceMilliseconds: Double
        var modelKey: String
    }

    func run(_ job: JobRecord, worker: String) async {
        let started = ContinuousClock.now
        let outcome: JobOutcome
        var finished: Outcome?
        do {
            finished = try await process(job, worker: worker)
            outcome = .succeeded
        } catch is LeaseLost {
            logger.warning("job lease lost; another worker has it", metadata: ["job": "\(job.id)"])
            metrics.recordJobAttempt(outcome: "lease_lost", duration: ContinuousClock.now - started, framePairs: 0)
            return
        } catch let error as VideoJob.InputError {
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
        metrics.recordJobAttempt(outcome: label, duration: ContinuousClock.now - started, framePairs: finished?.pairs ?? 0)
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
                modelVersion: finished.modelKey, images: 2 * finished.pairs, inferenceMilliseconds: finished.inferenceMilliseconds,
                status: 200))
        } catch {
            // The lease runs out and the job is claimed again.
            logger.error("could not record the end of a job", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    private func process(_ job: JobRecord, worker: String) async throws -> Outcome {
        let options: Components.Schemas.JobOptions
        do { options = try JSONDecoder().decode(Components.Schemas.JobOptions.self, from: Data(job.parametersJSON.utf8)) } catch {
            throw VideoJob.InputError(description: "the job's options cannot be read: \(error)")
        }
        let blobs = models.blobs, executor = models.registry.loader.engine.executor
        let prefix = job.blobPrefix, stride = options.value2.stride ?? 1
        return try await models.withModel(tenant: job.tenantID, requested: options.value1.model) { model in
            let detector = model.detector
            let detectionOptions = try APIService.detectionOptions(options.value1, classCount: detector.manifest.classCount)
            let source = try await executor.run(threads: 1) {
                try VideoJob.Source(rgb: blobs.url(VideoJob.rgbKey(prefix)), ir: blobs.url(VideoJob.irKey(prefix)), stride: stride)
            }
            let annotatedPartial = blobs.url(prefix + "/annotated.partial.mp4")
            let annotated = try options.value2.annotate == true ? await executor.run(threads: 1) {
                try VideoJob.AnnotatedVideo(path: annotatedPartial.path, rgb: source.pairs.rgb, stride: stride,
                                            sideBySide: options.value2.sideBySide == true)
            } : nil
            let partial = blobs.url(VideoJob.resultKey(prefix) + ".partial")
            FileManager.default.createFile(atPath: partial.path, contents: nil)
            let output = try FileHandle(forWritingTo: partial)
            defer { try? output.close() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            var done = 0, inferenceMilliseconds = 0.0
            var renewed = ContinuousClock.now
            var pending = try await executor.run(threads: 1) { try source.next() }
            while let pair = pending {
                try Task.checkCancellation()
                async let following = executor.run(threads: 1) { try source.next() }
                let result = try await detector.detect([DetectionInput(rgb: pair.rgb, ir: pair.ir)], options: detectionOptions)[0]
                var line = try encoder.encode(VideoJob.FrameLine(frame: pair.index, time: pair.time, skew: pair.skew,
                                                                 result: APIService.payload(result, model: model.label)))
                line.append(0x0A)
                try output.write(contentsOf: line)
                if let annotated { try await executor.run(threads: 1) { try annotated.write(pair, result.detections) } }
                done += 1
                inferenceMilliseconds += result.timings.inferenceMs
                if ContinuousClock.now - renewed > settings.lease / 3 {
                    try await renew(job, worker: worker, progress: done, total: source.expected)
                    renewed = ContinuousClock.now
                }
                pending = try await following
            }
            try output.close()
            try await renew(job, worker: worker, progress: done, total: done)
            if let annotated {
                try await executor.run(threads: 1) { try annotated.writer.finish() }
                try Self.replace(blobs.url(VideoJob.annotatedKey(prefix)), with: annotatedPartial)
            }
            try Self.replace(blobs.url(VideoJob.resultKey(prefix)), with: partial)
            return Outcome(pairs: done, inferenceMilliseconds: inferenceMilliseconds, modelKey: model.key)
        }
    }

    /// Moves a finished file into place over what an earlier attempt may have left.
    private static func replace(_ destination: URL, with file: URL) throws {
        _ = try? FileManager.default.removeItem(at: destination)
        try FileManager.default.moveItem(at: file, to: destination)
    }

    private func renew(_ job: JobRecord, worker: String, progress: Int, total: Int?) async throws {
        let until = Date().addingTimeInterval(settings.lease.milliseconds / 1000)
        guard try await store.renewJobLease(id: job.id, worker: worker, until: until, progress: progress, total: total) else { throw LeaseLost() }
    }
}
