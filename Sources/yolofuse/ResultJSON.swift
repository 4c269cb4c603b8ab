import Foundation
import YOLOFuseDetect
import YOLOFuseVision

/// The JSON shape of detection results, shared by the CLI and (later) the API.
enum ResultJSON {
    struct Payload: Encodable {
        var name: String?
        var model: String
        var image: Size
        var detections: [Item]
        var timings: StageTimings
    }

    struct Size: Encodable { var width: Int; var height: Int }

    struct Item: Encodable {
        var classId: Int
        var className: String
        var score: Double
        var box: [Double]
        var boxNormalized: [Double]
    }

    static func encode(_ result: DetectionResult, model: String, name: String? = nil) throws -> String {
        let payload = Payload(
            name: name, model: model, image: Size(width: result.imageWidth, height: result.imageHeight),
            detections: result.detections.map {
                Item(classId: $0.classId, className: $0.className, score: ($0.score * 1e5).rounded() / 1e5,
                     box: [$0.box.x1, $0.box.y1, $0.box.x2, $0.box.y2].map { ($0 * 100).rounded() / 100 },
                     boxNormalized: [$0.normalized.x1, $0.normalized.y1, $0.normalized.x2, $0.normalized.y2].map { ($0 * 1e6).rounded() / 1e6 })
            },
            timings: result.timings)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(payload), as: UTF8.self)
    }
}
