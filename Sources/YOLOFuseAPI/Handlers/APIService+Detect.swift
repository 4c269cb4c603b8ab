import Foundation
import HTTPTypes
import OpenAPIRuntime
import Synchronization
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseStore
import YOLOFuseVision

/// POST /v1/detect: one pair (or several) through the tenant's model, batched with concurrent requests; every
/// call, answered or refused, is metered once.
extension APIService {
    func detect(_ input: Operations.Detect.Input) async throws -> Operations.Detect.Output {
        let started = ContinuousClock.now
        let caller = try Principal.tenant()
        // The serving model's label (for answers) and key (a version id or "default", for usage: labels of deleted
        // versions can come back, ids never do).
        let servedBy = Mutex((label: TenantModels.defaultKey, key: TenantModels.defaultKey))
        var images = 0
        do {
            let form = try await readForm(input)
            images = form.pairs.reduce(0) { $0 + ($1.rgb == nil ? 0 : 1) + ($1.ir == nil ? 0 : 1) }
            let wantsJPEG = Self.prefersJPEG(input.headers.accept)
            guard !(wantsJPEG && form.isBatch) else {
                throw APIError(.unprocessable, "an annotated image answers one pair; send one or ask for JSON", field: "form")
            }
            let output = try await withDeadline(configuration.requestTimeout) {
                try await models.withModel(tenant: caller.id, requested: form.options?.model) { model in
                    servedBy.withLock { $0 = (model.label, model.key) }
                    let results = try await detect(form, on: model)
                    let annotated = wantsJPEG ? try await annotate(form.pairs[0], results[0]) : nil
                    return DetectOutput(results: results, annotated: annotated)
                }
            }
            let (modelLabel, modelKey) = servedBy.withLock { $0 }
            let headers = Operations.Detect.Output.Ok.Headers(
                xRequestId: RequestID.current, xProcessingTimeMs: String(format: "%.1f", (ContinuousClock.now - started).milliseconds),
                xModelVersion: modelLabel, xDetectionCount: String(output.results.reduce(0) { $0 + $1.detections.count }))
            await recordUsage(UsageEvent(requestID: RequestID.current, tenantID: caller.id, keyID: caller.keyID, modelVersion: modelKey,
                                         images: images, inferenceMilliseconds: output.results.reduce(0) { $0 + $1.timings.inferenceMs },
                                         status: 200))
            if let jpeg = output.annotated { return .ok(.init(headers: headers, body: .jpeg(HTTPBody(jpeg)))) }
            guard form.isBatch else {
                return .ok(.init(headers: headers, body: .json(.DetectionResult(Self.payload(output.results[0], model: modelLabel)))))
            }
            let batch = Components.Schemas.BatchDetectionResult(model: modelLabel, results: zip(form.pairs, output.results).map { pair, result in
                .init(pair: pair.key, result: Self.payload(result, model: modelLabel))
            })
            return .ok(.init(headers: headers, body: .json(.BatchDetectionResult(batch))))
        } catch {
            let mapped = APIError.from(error)
            let modelKey = servedBy.withLock { $0.key }
            // 499 (client closed request): the caller disconnected and its work was dropped.
            let clientGone = error is DynamicBatcher.Abandoned
            let event = UsageEvent(requestID: RequestID.current, tenantID: caller.id, keyID: caller.keyID, modelVersion: modelKey,
                                   images: 0, inferenceMilliseconds: 0, status: clientGone ? 499 : Int(mapped?.status.http.code ?? 500))
            await recordUsage(event)
            throw mapped ?? error
        }
    }

    private struct DetectOutput: Sendable {
        var results: [DetectionResult]
        var annotated: Data?
    }

    /// Decodes the pairs and sends each to the model's dynamic batcher at once, so a request's pairs share runs
    /// with each other and with concurrent requests; results come back in the pairs' order.
    private func detect(_ form: DetectForm, on model: ResidentModel) async throws -> [DetectionResult] {
        let detector = model.detector
        let options = try Self.detectionOptions(form.options, classCount: detector.manifest.classCount)
        let encoded = form.pairs.map { EncodedPair(rgb: $0.rgb, ir: $0.ir, rgbName: $0.partName("rgb"), irName: $0.partName("ir")) }
        let decoded = try await detector.decode(encoded, limits: ImageCodec.Limits(maxPixels: configuration.maxImagePixels))
        let optionList = try decoded.map { try detector.options(options, for: $0) }
        let raw = try await withThrowingTaskGroup(of: (Int, DetectionResult).self) { group in
            for index in decoded.indices {
                group.addTask {
                    (index, try await model.batcher.detect(decoded[index].input, options: optionList[index], isAbandoned: ClientConnection.isClosedCheck))
                }
            }
            var results = [DetectionResult?](repeating: nil, count: decoded.count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
        return zip(raw, decoded).map { detector.finish($0, for: $1) }
    }

    /// JPEG when the Accept header ranks image/jpeg above application/json (or names only it).
    static func prefersJPEG(_ accept: [AcceptHeaderContentType<Operations.Detect.AcceptableContentType>]) -> Bool {
        let ranked = accept.filter { $0.contentType == .jpeg || $0.contentType == .json }.sorted { $0.quality.doubleValue > $1.quality.doubleValue }
        return ranked.first?.contentType == .jpeg
    }

    /// Collects the parts, each image up to the configured size; unknown parts are refused by name.
    private func readForm(_ input: Operations.Detect.Input) async throws -> DetectForm {
        guard case .multipartForm(let body) = input.body else { throw APIError(.badRequest, "send multipart/form-data") }
        var form = DetectForm()
        do {
            for try await part in body {
                switch part {
                case .rgb(let image):
                    try form.add(.rgb, key: "", data: try await collectImage(image.payload.body, field: "rgb"))
                case .ir(let image):
                    try form.add(.ir, key: "", data: try await collectImage(image.payload.body, field: "ir"))
                case .options(let options):
                    form.options = options.payload.body
                case .undocumented(let part):
                    let (modality, key, name) = try await DetectForm.keyedPart(part, expected: "'rgb', 'ir' (or 'rgb.KEY', 'ir.KEY') and 'options'")
                    try form.add(modality, key: key, data: try await collectImage(part.body, field: name))
                }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "the multipart body could not be read: \(error)")
        }
        guard !form.pairs.isEmpty else { throw APIError(.unprocessable, "send an 'rgb' and/or an 'ir' image part", field: "rgb") }
        return form
    }

    /// Reads an image part chunk by chunk and stops at the limit, before the rest is buffered.
    func collectImage(_ body: HTTPBody, field: String) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            guard data.count + chunk.count <= configuration.maxImageBytes else {
                throw APIError(.contentTooLarge, "the '\(field)' image is larger than \(configuration.maxImageBytes) bytes", field: field)
            }
            data.append(contentsOf: chunk)
        }
        return data
    }

    static func detectionOptions(_ given: Components.Schemas.DetectOptions?, classCount: Int) throws -> DetectionOptions {
        var options = DetectionOptions()
        guard let given else { return options }
        if let conf = given.conf { options.confidence = conf }
        if let iou = given.iou { options.iou = iou }
        if let classes = given.classes { options.classes = Set(classes) }
        if let maxDet = given.maxDet { options.maxDetections = maxDet }
        if let numbers = given.registration {
            do { options.registration = try Registration(values: numbers) } catch {
                throw APIError(.unprocessable, "\(error)", field: "registration")
            }
        }
        try options.validate(classCount: classCount)
        return options
    }

    /// Draws the boxes on the RGB image (IR for IR-only requests) at its full size, as the boxes are reported.
    /// Decoding, drawing and encoding run on an engine thread, off the cooperative pool.
    private func annotate(_ pair: DetectForm.Pair, _ result: DetectionResult) async throws -> Data {
        guard let data = pair.rgb ?? pair.ir else { return Data() }
        let name = pair.rgb == nil ? pair.partName("ir") : pair.partName("rgb"), limits = ImageCodec.Limits(maxPixels: configuration.maxImagePixels)
        return try await models.registry.loader.engine.executor.run(threads: 1) {
            let image = try ImageCodec.decode(data, name: name, limits: limits)
            return try ImageCodec.encodeJPEG(Annotator.annotate(image, with: result.detections), quality: 85)
        }
    }

    static func payload(_ result: DetectionResult, model: String) -> Components.Schemas.DetectionResult {
        .init(
            model: model,
            image: .init(width: result.imageWidth, height: result.imageHeight),
            detections: result.detections.map { d in
                .init(classId: d.classId, className: d.className, score: d.score,
                      box: [d.box.x1, d.box.y1, d.box.x2, d.box.y2],
                      boxNormalized: [d.normalized.x1, d.normalized.y1, d.normalized.x2, d.normalized.y2])
            },
            timings: .init(decodeMs: result.timings.decodeMs, preprocessMs: result.timings.preprocessMs,
                           inferenceMs: result.timings.inferenceMs, postprocessMs: result.timings.postprocessMs))
    }
}
