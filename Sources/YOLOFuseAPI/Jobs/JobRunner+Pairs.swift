import Foundation
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseStore
import YOLOFuseVision

/// A batch-of-pairs job: the pairs in runs of eight (decoded side by side, detected as one batch), one
/// `PairJobResult` line per pair in submission order. A pair whose image cannot be decoded gets an error line;
/// the others go on.
extension JobRunner {
    static let pairsPerRun = 8

    func processPairs(_ job: JobRecord, options: Components.Schemas.JobOptions, worker: String) async throws -> Outcome {
        let blobs = models.blobs, executor = models.registry.loader.engine.executor, prefix = job.blobPrefix
        let entries: [PairsJob.Entry]
        do {
            entries = try JSONDecoder().decode([PairsJob.Entry].self, from: try Data(contentsOf: blobs.url(PairsJob.listKey(prefix))))
        } catch {
            throw JobRunner.InputError(description: "the job's pair list cannot be read: \(error)")
        }
        return try await models.withModel(tenant: job.tenantID, requested: options.value1.model) { model in
            let detector = model.detector
            let detectionOptions = try APIService.detectionOptions(options.value1, classCount: detector.manifest.classCount)
            let lines = try LineWriter(partial: blobs.url(JobFiles.resultKey(prefix) + ".partial"))
            var done = 0, images = 0, inferenceMilliseconds = 0.0
            var renewed = ContinuousClock.now
            for start in Swift.stride(from: 0, to: entries.count, by: Self.pairsPerRun) {
                try Task.checkCancellation()
                let indices = Array(start..<min(start + Self.pairsPerRun, entries.count))
                let encoded = try await executor.run(threads: 1) {
                    try indices.map { index in
                        let entry = entries[index]
                        func read(_ modality: String, _ present: Bool) throws -> Data? {
                            present ? try Data(contentsOf: blobs.url(PairsJob.imageKey(prefix, index: index, modality: modality))) : nil
                        }
                        return EncodedPair(rgb: try read("rgb", entry.rgb), ir: try read("ir", entry.ir),
                                           rgbName: "rgb.\(entry.key)", irName: "ir.\(entry.key)")
                    }
                }
                let results = try await detectEach(encoded, detector: detector, options: detectionOptions)
                for (index, result) in zip(indices, results) {
                    switch result {
                    case .success(let detection):
                        try lines.write(PairsJob.Line(pair: entries[index].key, result: APIService.payload(detection, model: model.label), error: nil))
                        images += (encoded[index - start].rgb == nil ? 0 : 1) + (encoded[index - start].ir == nil ? 0 : 1)
                        inferenceMilliseconds += detection.timings.inferenceMs
                    case .failure(let reason):
                        try lines.write(PairsJob.Line(pair: entries[index].key, result: nil, error: reason.description))
                    }
                }
                done += indices.count
                renewed = try await renewIfDue(job, worker: worker, since: renewed, progress: done, total: entries.count)
            }
            try lines.close()
            try await renew(job, worker: worker, progress: done, total: entries.count)
            try blobs.place(lines.partial, at: JobFiles.resultKey(prefix))
            return Outcome(units: done, images: images, inferenceMilliseconds: inferenceMilliseconds, modelKey: model.key)
        }
    }

    /// Why one pair has no result.
    struct PairFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Detects a run of pairs as one batch; when an image in it cannot be decoded, each pair on its own, so only
    /// the unreadable ones fail.
    private func detectEach(_ pairs: [EncodedPair], detector: Detector, options: DetectionOptions) async throws
        -> [Result<DetectionResult, PairFailure>] {
        do {
            return try await detector.detect(pairs, options: options).map { .success($0) }
        } catch let error as ImageError {
            guard pairs.count > 1 else { return [.failure(PairFailure(description: error.description))] }
        } catch let error as DetectionError {
            guard pairs.count > 1 else { return [.failure(PairFailure(description: error.reason))] }
        }
        var results: [Result<DetectionResult, PairFailure>] = []
        for pair in pairs { results += try await detectEach([pair], detector: detector, options: options) }
        return results
    }
}
