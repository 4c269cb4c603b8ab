import Foundation
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseStore
import YOLOFuseVideo
import YOLOFuseVision

/// A video job: every frame pair (at the stride) through the model, the next pairs decoded while the current ones
/// are detected (see `PairSchedule`); one `VideoFrameResult` line per pair, and the annotated video when asked.
extension JobRunner {
    func processVideo(_ job: JobRecord, options: Components.Schemas.JobOptions, worker: String) async throws -> Outcome {
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
            let lines = try LineWriter(partial: blobs.url(JobFiles.resultKey(prefix) + ".partial"))
            var done = 0, inferenceMilliseconds = 0.0
            var renewed = ContinuousClock.now
            let schedule = PairSchedule(detector: detector)
            try await InOrderPipeline.run(inFlight: schedule.inFlight, next: {
                try Task.checkCancellation()
                return try await executor.run(threads: 1) { try source.next() }
            }, work: { pair in
                try await detector.detect([DetectionInput(rgb: pair.rgb, ir: pair.ir)], options: detectionOptions, threads: schedule.threads)[0]
            }, consume: { pair, result in
                try lines.write(VideoJob.FrameLine(frame: pair.index, time: pair.time, skew: pair.skew,
                                                   result: APIService.payload(result, model: model.label)))
                if let annotated { try await executor.run(threads: 1) { try annotated.write(pair, result.detections) } }
                done += 1
                inferenceMilliseconds += result.timings.inferenceMs
                renewed = try await renewIfDue(job, worker: worker, since: renewed, progress: done, total: source.expected)
            })
            try lines.close()
            try await renew(job, worker: worker, progress: done, total: done)
            if let annotated {
                try await executor.run(threads: 1) { try annotated.writer.finish() }
                try blobs.place(annotatedPartial, at: VideoJob.annotatedKey(prefix))
            }
            try blobs.place(lines.partial, at: JobFiles.resultKey(prefix))
            return Outcome(units: done, images: 2 * done, inferenceMilliseconds: inferenceMilliseconds, modelKey: model.key)
        }
    }
}
