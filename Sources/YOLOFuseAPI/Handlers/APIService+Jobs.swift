import Foundation
import HTTPTypes
import OpenAPIRuntime
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseStore
import YOLOFuseVideo
import YOLOFuseVision

/// /v1/jobs: video pairs and batches of image pairs, detected in the background by workers. Another tenant's ids
/// answer 404.
extension APIService {
    func createJob(_ input: Operations.CreateJob.Input) async throws -> Operations.CreateJob.Output {
        let caller = try Principal.tenant()
        let id = UUID()
        let prefix = JobFiles.prefix(tenant: caller.id, job: id)
        // Refused before the upload is read. Concurrent submissions may pass together: the cap is about right.
        let active = try await store.activeJobCount(tenant: caller.id)
        guard active < configuration.jobs.maxActivePerTenant else {
            throw APIError(.tooManyRequests, "\(active) jobs are queued or running, the most a tenant may have; retry once some have finished")
        }
        do {
            let submission = try await readJobForm(input.body, prefix: prefix)
            let options = submission.options
            // Everything a worker would refuse is refused now, so an accepted job can run: the model (and whether
            // it is ready), the options against its classes, the images each pair needs, and both videos.
            try await models.withModel(tenant: caller.id, requested: options.value1.model) { model in
                let manifest = model.detector.manifest
                _ = try Self.detectionOptions(options.value1, classCount: manifest.classCount)
                for entry in submission.pairs {
                    if manifest.modality != .ir && !entry.rgb {
                        throw APIError(.unprocessable, "pair '\(entry.key)' has no RGB image, which this model needs", field: "rgb.\(entry.key)")
                    }
                    if manifest.modality != .rgb && !entry.ir {
                        throw APIError(.unprocessable, "pair '\(entry.key)' has no IR image, which this model needs", field: "ir.\(entry.key)")
                    }
                }
            }
            if submission.kind == .video {
                try await VideoJob.checkVideos(in: prefix, blobs: models.blobs, executor: models.registry.loader.engine.executor)
            } else {
                try models.blobs.write(PairsJob.listKey(prefix), data: try JSONEncoder().encode(submission.pairs))
            }
            let job = JobRecord(id: id, tenantID: caller.id, keyID: caller.keyID, queue: configuration.jobs.queue, kind: submission.kind,
                                parametersJSON: String(decoding: try JSONEncoder().encode(options), as: UTF8.self),
                                blobPrefix: prefix, maxAttempts: configuration.jobs.maxAttempts,
                                total: submission.kind == .pairs ? submission.pairs.count : nil)
            try await store.enqueueJob(job)
            jobSignal.notify()
            return .accepted(.init(body: .json(Payloads.job(job))))
        } catch {
            models.blobs.deleteFolder(prefix)
            throw APIError.from(error) ?? error
        }
    }

    func listJobs(_ input: Operations.ListJobs.Input) async throws -> Operations.ListJobs.Output {
        let caller = try Principal.tenant()
        let limit = input.query.limit ?? 50
        guard (1...100).contains(limit) else { throw APIError(.unprocessable, "limit must be 1 to 100", field: "limit") }
        return .ok(.init(body: .json(.init(jobs: try await store.jobs(tenant: caller.id, limit: limit).map(Payloads.job)))))
    }

    func getJob(_ input: Operations.GetJob.Input) async throws -> Operations.GetJob.Output {
        .ok(.init(body: .json(Payloads.job(try await ownJob(input.path.jobId)))))
    }

    func deleteJob(_ input: Operations.DeleteJob.Input) async throws -> Operations.DeleteJob.Output {
        let caller = try Principal.tenant()
        guard let id = UUID(uuidString: input.path.jobId), let deleted = try await store.deleteJob(tenant: caller.id, id: id) else {
            throw APIError.notFound("job")
        }
        models.blobs.deleteFolder(deleted.blobPrefix)
        return .noContent(.init())
    }

    func getJobResult(_ input: Operations.GetJobResult.Input) async throws -> Operations.GetJobResult.Output {
        let job = try await ownJob(input.path.jobId)
        guard job.state == .succeeded else {
            throw APIError(.conflict, "the job is \(job.state.rawValue)" + (job.error.map { ": \($0)" } ?? "") + "; results come once it has succeeded")
        }
        return .ok(.init(body: .applicationXNdjson(HTTPBody(try await readBlob(JobFiles.resultKey(job.blobPrefix))))))
    }

    func getJobVideo(_ input: Operations.GetJobVideo.Input) async throws -> Operations.GetJobVideo.Output {
        let job = try await ownJob(input.path.jobId)
        guard job.state == .succeeded else {
            throw APIError(.conflict, "the job is \(job.state.rawValue); its video comes once it has succeeded")
        }
        let key = VideoJob.annotatedKey(job.blobPrefix)
        guard FileManager.default.fileExists(atPath: models.blobs.url(key).path) else {
            throw APIError(.notFound, "this job made no annotated video; submit with \"annotate\": true for one")
        }
        return .ok(.init(body: .videoMp4(HTTPBody(try await readBlob(key)))))
    }

    /// A job's file, read on an engine thread (off the cooperative pool).
    private func readBlob(_ key: String) async throws -> Data {
        let url = models.blobs.url(key)
        return try await models.registry.loader.engine.executor.run(threads: 1) { try Data(contentsOf: url, options: .mappedIfSafe) }
    }

    private func ownJob(_ text: String) async throws -> JobRecord {
        let caller = try Principal.tenant()
        guard let id = UUID(uuidString: text), let job = try await store.job(tenant: caller.id, id: id) else { throw APIError.notFound("job") }
        return job
    }

    /// What a job submission carries: two videos, or image pairs (already in the blob folder), and the options.
    private struct JobSubmission {
        var kind = JobRecord.Kind.video
        var options = Components.Schemas.JobOptions(value1: .init(), value2: .init())
        var pairs: [PairsJob.Entry] = []
    }

    /// Streams the videos (each up to the video limit) or the images of keyed pairs (each up to the image limit,
    /// its header checked) into the job's blob folder, and reads the options.
    private func readJobForm(_ body: Operations.CreateJob.Input.Body, prefix: String) async throws -> JobSubmission {
        guard case .multipartForm(let parts) = body else { throw APIError(.badRequest, "send multipart/form-data") }
        var submission = JobSubmission()
        var videos: Set<String> = []
        let limit = configuration.jobs.maxVideoBytes
        do {
            for try await part in parts {
                switch part {
                case .rgbVideo(let file):
                    guard videos.insert("rgb_video").inserted else { throw APIError(.unprocessable, "the 'rgb_video' part is sent twice", field: "rgb_video") }
                    _ = try await models.blobs.write(VideoJob.rgbKey(prefix), from: file.payload.body, limit: limit, field: "rgb_video")
                case .irVideo(let file):
                    guard videos.insert("ir_video").inserted else { throw APIError(.unprocessable, "the 'ir_video' part is sent twice", field: "ir_video") }
                    _ = try await models.blobs.write(VideoJob.irKey(prefix), from: file.payload.body, limit: limit, field: "ir_video")
                case .options(let given):
                    submission.options = given.payload.body
                case .undocumented(let part):
                    let (modality, key, name) = try await DetectForm.keyedPart(
                        part, expected: "'rgb_video' and 'ir_video', or image pairs as 'rgb.KEY' and 'ir.KEY', and 'options'")
                    try await addPairImage(part.body, modality: modality, key: key, field: name, to: &submission, prefix: prefix)
                }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "the multipart body could not be read: \(error)")
        }
        switch (videos.isEmpty, submission.pairs.isEmpty) {
        case (true, true):
            throw APIError(.unprocessable, "send 'rgb_video' and 'ir_video', or image pairs as 'rgb.KEY' and 'ir.KEY' parts", field: "rgb_video")
        case (false, false):
            throw APIError(.unprocessable, "a job takes videos or image pairs, not both", field: "form")
        case (true, false):
            submission.kind = .pairs
        case (false, true):
            for field in ["rgb_video", "ir_video"] where !videos.contains(field) {
                throw APIError(.unprocessable, "send the \(field == "rgb_video" ? "visible-light" : "thermal") video as the '\(field)' part", field: field)
            }
        }
        if let stride = submission.options.value2.stride, !(1...1000).contains(stride) {
            throw APIError(.unprocessable, "stride must be 1 to 1000", field: "stride")
        }
        return submission
    }

    /// One image of a keyed pair: collected up to the image limit, its header checked (format, pixel count), stored.
    private func addPairImage(_ body: HTTPBody, modality: DetectForm.Modality, key: String, field: String,
                              to submission: inout JobSubmission, prefix: String) async throws {
        var index = submission.pairs.firstIndex { $0.key == key }
        if index == nil {
            guard submission.pairs.count < configuration.jobs.maxPairs else {
                throw APIError(.unprocessable, "at most \(configuration.jobs.maxPairs) pairs per job", field: "form")
            }
            submission.pairs.append(PairsJob.Entry(key: key, rgb: false, ir: false))
            index = submission.pairs.count - 1
        }
        let present = modality == .rgb ? submission.pairs[index!].rgb : submission.pairs[index!].ir
        guard !present else { throw APIError(.unprocessable, "the '\(field)' part is sent twice", field: field) }
        let data = try await collectImage(body, field: field)
        do {
            let size = try ImageCodec.uprightSize(data, name: field)
            guard size.width * size.height <= configuration.maxImagePixels else {
                throw APIError(.unprocessable, "\(field): \(size.width)x\(size.height) is over the limit of \(configuration.maxImagePixels) pixels", field: field)
            }
        } catch let error as ImageError {
            throw APIError(.badRequest, error.description, field: field)
        }
        let name = modality == .rgb ? "rgb" : "ir"
        try models.blobs.write(PairsJob.imageKey(prefix, index: index!, modality: name), data: data)
        if modality == .rgb { submission.pairs[index!].rgb = true } else { submission.pairs[index!].ir = true }
    }
}
