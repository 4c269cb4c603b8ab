import Foundation
import OpenAPIRuntime
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseStore
import YOLOFuseVideo

/// /v1/jobs: video pairs detected in the background by workers. Another tenant's ids answer 404.
extension APIService {
    func createJob(_ input: Operations.CreateJob.Input) async throws -> Operations.CreateJob.Output {
        let caller = try Principal.tenant()
        let id = UUID()
        let prefix = VideoJob.blobPrefix(tenant: caller.id, job: id)
        do {
            let options = try await readJobForm(input.body, prefix: prefix)
            // Everything a worker would refuse is refused now, so an accepted job can run: the model (and whether
            // it is ready), the options against its classes, and both videos.
            try await models.withModel(tenant: caller.id, requested: options.value1.model) { model in
                _ = try Self.detectionOptions(options.value1, classCount: model.detector.manifest.classCount)
            }
            try await VideoJob.checkVideos(in: prefix, blobs: models.blobs, executor: models.registry.loader.engine.executor)
            let job = JobRecord(id: id, tenantID: caller.id, keyID: caller.keyID, queue: configuration.jobs.queue, kind: .video,
                                parametersJSON: String(decoding: try JSONEncoder().encode(options), as: UTF8.self),
                                blobPrefix: prefix, maxAttempts: configuration.jobs.maxAttempts)
            try await store.enqueueJob(job)
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

    func getJobResult(_ input: Operations.GetJobResult.Input) async throws -> Operations.GetJobResult.Output {
        let job = try await ownJob(input.path.jobId)
        guard job.state == .succeeded else {
            throw APIError(.conflict, "the job is \(job.state.rawValue)" + (job.error.map { ": \($0)" } ?? "") + "; results come once it has succeeded")
        }
        let url = models.blobs.url(VideoJob.resultKey(job.blobPrefix))
        let data = try await models.registry.loader.engine.executor.run(threads: 1) { try Data(contentsOf: url, options: .mappedIfSafe) }
        return .ok(.init(body: .applicationXNdjson(HTTPBody(data))))
    }

    func getJobVideo(_ input: Operations.GetJobVideo.Input) async throws -> Operations.GetJobVideo.Output {
        let job = try await ownJob(input.path.jobId)
        guard job.state == .succeeded else {
            throw APIError(.conflict, "the job is \(job.state.rawValue); its video comes once it has succeeded")
        }
        let url = models.blobs.url(VideoJob.annotatedKey(job.blobPrefix))
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw APIError(.notFound, "this job made no annotated video; submit with \"annotate\": true for one")
        }
        let data = try await models.registry.loader.engine.executor.run(threads: 1) { try Data(contentsOf: url, options: .mappedIfSafe) }
        return .ok(.init(body: .videoMp4(HTTPBody(data))))
    }

    private func ownJob(_ text: String) async throws -> JobRecord {
        let caller = try Principal.tenant()
        guard let id = UUID(uuidString: text), let job = try await store.job(tenant: caller.id, id: id) else { throw APIError.notFound("job") }
        return job
    }

    /// Streams the two videos into the job's blob folder (each up to the video limit) and reads the options.
    private func readJobForm(_ body: Operations.CreateJob.Input.Body, prefix: String) async throws -> Components.Schemas.JobOptions {
        guard case .multipartForm(let parts) = body else { throw APIError(.badRequest, "send multipart/form-data") }
        var options = Components.Schemas.JobOptions(value1: .init(), value2: .init())
        var received: Set<String> = []
        let limit = configuration.jobs.maxVideoBytes
        do {
            for try await part in parts {
                switch part {
                case .rgbVideo(let file):
                    guard received.insert("rgb_video").inserted else { throw APIError(.unprocessable, "the 'rgb_video' part is sent twice", field: "rgb_video") }
                    _ = try await models.blobs.write(VideoJob.rgbKey(prefix), from: file.payload.body, limit: limit, field: "rgb_video")
                case .irVideo(let file):
                    guard received.insert("ir_video").inserted else { throw APIError(.unprocessable, "the 'ir_video' part is sent twice", field: "ir_video") }
                    _ = try await models.blobs.write(VideoJob.irKey(prefix), from: file.payload.body, limit: limit, field: "ir_video")
                case .options(let given):
                    options = given.payload.body
                case .undocumented(let part):
                    _ = try? await Data(collecting: part.body, upTo: 1 << 20)
                    throw APIError(.unprocessable, "unknown part; send 'rgb_video', 'ir_video' and 'options'", field: "form")
                }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "the multipart body could not be read: \(error)")
        }
        for field in ["rgb_video", "ir_video"] where !received.contains(field) {
            throw APIError(.unprocessable, "send the \(field == "rgb_video" ? "visible-light" : "thermal") video as the '\(field)' part", field: field)
        }
        if let stride = options.value2.stride, !(1...1000).contains(stride) {
            throw APIError(.unprocessable, "stride must be 1 to 1000", field: "stride")
        }
        return options
    }
}
