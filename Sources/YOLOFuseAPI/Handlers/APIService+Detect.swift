import Foundation
import HTTPTypes
import OpenAPIRuntime
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseStore
import YOLOFuseVision

/// POST /v1/detect: one pair through the tenant's model, batched with concurrent requests; every call, answered
/// or refused, is metered once.
extension APIService {
    func detect(_ input: Operations.Detect.Input) async throws -> Operations.Detect.Output {
        let started = ContinuousClock.now
        let caller = try Principal.tenant()
        var modelLabel = TenantModels.defaultKey
        do {
            let form = try await readForm(input)
            guard form.rgb != nil || form.ir != nil else { throw APIError(.unprocessable, "send an 'rgb' and/or an 'ir' image part", field: "rgb") }
            let wantsJPEG = Self.prefersJPEG(input.headers.accept)
            let output = try await models.withModel(tenant: caller.id, requested: form.options?.model) { model in
                modelLabel = model.label
                let detector = model.detector
                let options = try detectionOptions(form.options, classCount: detector.manifest.classCount)
                let pair = EncodedPair(rgb: form.rgb, ir: form.ir, rgbName: "rgb", irName: "ir")
                let decoded = try await detector.decode([pair], limits: ImageCodec.Limits(maxPixels: configuration.maxImagePixels))[0]
                // Concurrent requests share model runs through the model's dynamic batcher.
                let raw = try await model.batcher.detect(decoded.input, options: detector.options(options, for: decoded))
                let result = detector.finish(raw, for: decoded)
                let annotated = wantsJPEG ? try await annotate(form, result) : nil
                return (result: result, annotated: annotated)
            }
            let headers = Operations.Detect.Output.Ok.Headers(
                xRequestId: RequestID.current, xProcessingTimeMs: String(format: "%.1f", (ContinuousClock.now - started).milliseconds),
                xModelVersion: modelLabel, xDetectionCount: String(output.result.detections.count))
            await recordUsage(UsageEvent(requestID: RequestID.current, tenantID: caller.id, keyID: caller.keyID, modelVersion: modelLabel,
                                         images: (form.rgb == nil ? 0 : 1) + (form.ir == nil ? 0 : 1),
                                         inferenceMilliseconds: output.result.timings.inferenceMs, status: 200))
            if let jpeg = output.annotated { return .ok(.init(headers: headers, body: .jpeg(HTTPBody(jpeg)))) }
            return .ok(.init(headers: headers, body: .json(payload(output.result, model: modelLabel))))
        } catch {
            let status = APIError.from(error)?.status.http.code ?? 500
            await recordUsage(UsageEvent(requestID: RequestID.current, tenantID: caller.id, keyID: caller.keyID, modelVersion: modelLabel,
                                         images: 0, inferenceMilliseconds: 0, status: status))
            throw APIError.from(error) ?? error
        }
    }

    /// JPEG when the Accept header ranks image/jpeg above application/json (or names only it).
    static func prefersJPEG(_ accept: [AcceptHeaderContentType<Operations.Detect.AcceptableContentType>]) -> Bool {
        let ranked = accept.filter { $0.contentType == .jpeg || $0.contentType == .json }.sorted { $0.quality.doubleValue > $1.quality.doubleValue }
        return ranked.first?.contentType == .jpeg
    }

    struct Form {
        var rgb: Data?
        var ir: Data?
        var options: Components.Schemas.DetectOptions?
    }

    /// Collects the parts, each image up to the configured size; unknown parts are refused by name.
    private func readForm(_ input: Operations.Detect.Input) async throws -> Form {
        guard case .multipartForm(let body) = input.body else { throw APIError(.badRequest, "send multipart/form-data") }
        var form = Form()
        do {
            for try await part in body {
                switch part {
                case .rgb(let image):
                    form.rgb = try await collectImage(image.payload.body, field: "rgb")
                case .ir(let image):
                    form.ir = try await collectImage(image.payload.body, field: "ir")
                case .options(let options):
                    form.options = options.payload.body
                case .undocumented(let part):
                    _ = try? await Data(collecting: part.body, upTo: 1 << 20)
                    let name = part.headerFields[.contentDisposition] ?? "a part"
                    throw APIError(.unprocessable, "unknown part (\(name)); send 'rgb', 'ir' and 'options'", field: "form")
                }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "the multipart body could not be read: \(error)")
        }
        return form
    }

    /// Reads an image part chunk by chunk and stops at the limit, before the rest is buffered.
    private func collectImage(_ body: HTTPBody, field: String) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            guard data.count + chunk.count <= configuration.maxImageBytes else {
                throw APIError(.contentTooLarge, "the '\(field)' image is larger than \(configuration.maxImageBytes) bytes", field: field)
            }
            data.append(contentsOf: chunk)
        }
        return data
    }

    private func detectionOptions(_ given: Components.Schemas.DetectOptions?, classCount: Int) throws -> DetectionOptions {
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
    private func annotate(_ form: Form, _ result: DetectionResult) async throws -> Data {
        guard let data = form.rgb ?? form.ir else { return Data() }
        let name = form.rgb == nil ? "ir" : "rgb", limits = ImageCodec.Limits(maxPixels: configuration.maxImagePixels)
        return try await models.engine.executor.run(threads: 1) {
            let image = try ImageCodec.decode(data, name: name, limits: limits)
            return try ImageCodec.encodeJPEG(Annotator.annotate(image, with: result.detections), quality: 85)
        }
    }

    private func payload(_ result: DetectionResult, model: String) -> Components.Schemas.DetectionResult {
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
