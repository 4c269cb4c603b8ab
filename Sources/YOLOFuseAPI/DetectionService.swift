import Foundation
import HTTPTypes
import OpenAPIRuntime
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseVision

/// Implements the generated API protocol: health, readiness and detection on the default model.
struct DetectionService: APIProtocol {
    let detector: Detector
    let batcher: DynamicBatcher
    let modelName: String
    let configuration: ServerConfiguration

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: "alive"))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        // The server only starts listening once the default model is loaded and warmed up.
        .ok(.init(body: .json(.init(status: "ready", model: modelName))))
    }

    func detect(_ input: Operations.Detect.Input) async throws -> Operations.Detect.Output {
        let started = ContinuousClock.now
        do {
            let form = try await readForm(input)
            let options = try form.options.map(detectionOptions) ?? DetectionOptions()
            guard form.rgb != nil || form.ir != nil else { throw APIError(.unprocessable, "send an 'rgb' and/or an 'ir' image part", field: "rgb") }
            let pair = EncodedPair(rgb: form.rgb, ir: form.ir, rgbName: "rgb", irName: "ir")
            let decoded = try await detector.decode([pair], limits: ImageCodec.Limits(maxPixels: configuration.maxImagePixels))[0]
            // Concurrent requests share model runs through the dynamic batcher.
            let result = try await detector.finish(batcher.detect(decoded.input, options: detector.options(options, for: decoded)), for: decoded)
            let elapsed = (ContinuousClock.now - started)
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            return .ok(.init(
                headers: .init(xRequestId: RequestID.current, xProcessingTimeMs: String(format: "%.1f", milliseconds), xModelVersion: modelName),
                body: .json(payload(result))))
        } catch let error as APIError {
            return failure(error)
        } catch let error as DetectionError {
            return failure(APIError(.unprocessable, error.reason, field: error.field))
        } catch is DynamicBatcher.QueueFull {
            return failure(APIError(.unavailable, "the model's request queue is full; retry shortly"))
        } catch is DynamicBatcher.ShutDown {
            return failure(APIError(.unavailable, "the service is shutting down; retry on another instance"))
        } catch let error as ImageError {
            // Unreadable images are bad requests; readable ones that break a limit are unprocessable.
            let limit = error.description.contains("over the limit")
            return failure(APIError(limit ? .unprocessable : .badRequest, error.description))
        }
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

    private func detectionOptions(_ given: Components.Schemas.DetectOptions) throws -> DetectionOptions {
        var options = DetectionOptions()
        if let conf = given.conf { options.confidence = conf }
        if let iou = given.iou { options.iou = iou }
        if let classes = given.classes { options.classes = Set(classes) }
        if let maxDet = given.maxDet { options.maxDetections = maxDet }
        if let numbers = given.registration {
            do { options.registration = try Registration(values: numbers) } catch {
                throw APIError(.unprocessable, "\(error)", field: "registration")
            }
        }
        try options.validate(classCount: detector.manifest.classCount)
        return options
    }

    private func payload(_ result: DetectionResult) -> Components.Schemas.DetectionResult {
        .init(
            model: modelName,
            image: .init(width: result.imageWidth, height: result.imageHeight),
            detections: result.detections.map { d in
                .init(classId: d.classId, className: d.className, score: d.score,
                      box: [d.box.x1, d.box.y1, d.box.x2, d.box.y2],
                      boxNormalized: [d.normalized.x1, d.normalized.y1, d.normalized.x2, d.normalized.y2])
            },
            timings: .init(decodeMs: result.timings.decodeMs, preprocessMs: result.timings.preprocessMs,
                           inferenceMs: result.timings.inferenceMs, postprocessMs: result.timings.postprocessMs))
    }

    private func failure(_ error: APIError) -> Operations.Detect.Output {
        let body = Components.Schemas._Error(error: error.message, field: error.field)
        switch error.status {
        case .badRequest: return .badRequest(.init(body: .json(body)))
        case .contentTooLarge: return .contentTooLarge(.init(body: .json(body)))
        case .unprocessable: return .unprocessableContent(.init(body: .json(body)))
        case .unavailable: return .serviceUnavailable(.init(headers: .init(retryAfter: "1"), body: .json(body)))
        }
    }
}
