public import Foundation
public import YOLOFuseVision

/// The YOLOFuse dataset layout: images/NAME.ext (RGB), imagesIR/NAME.ext (IR, paired by file name) and
/// optionally labels/NAME.txt (YOLO format: class cx cy w h, normalised, for the RGB frame).
public struct PairedDataset: Sendable {
    public struct Pair: Sendable {
        public var name: String
        public var rgb: URL
        public var ir: URL?
        public var labels: URL?
    }

    public let root: URL
    public let pairs: [Pair]

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    public init(root: URL) throws {
        self.root = root
        let fileManager = FileManager.default
        let rgbDirectory = root.appendingPathComponent("images")
        guard let rgbFiles = try? fileManager.contentsOfDirectory(atPath: rgbDirectory.path) else {
            throw DetectionError("\(root.path) has no images/ folder (expected images/, imagesIR/ and optionally labels/)")
        }
        let irDirectory = root.appendingPathComponent("imagesIR")
        let irFiles = (try? fileManager.contentsOfDirectory(atPath: irDirectory.path)) ?? []
        var irByStem: [String: String] = [:]
        for file in irFiles where Self.imageExtensions.contains((file as NSString).pathExtension.lowercased()) {
            irByStem[(file as NSString).deletingPathExtension] = file
        }
        let labelDirectory = root.appendingPathComponent("labels")
        pairs = rgbFiles.filter { Self.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted().map { file in
            let stem = (file as NSString).deletingPathExtension
            let label = labelDirectory.appendingPathComponent(stem + ".txt")
            return Pair(name: stem, rgb: rgbDirectory.appendingPathComponent(file),
                        ir: irByStem[stem].map { irDirectory.appendingPathComponent($0) },
                        labels: fileManager.fileExists(atPath: label.path) ? label : nil)
        }
    }

    /// Reads YOLO label lines into boxes in pixels of a `width` x `height` image.
    public static func readLabels(_ url: URL, width: Int, height: Int) throws -> [MeanAveragePrecision.Truth] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(whereSeparator: \.isNewline).enumerated().compactMap { number, line in
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.isEmpty { return nil }
            guard fields.count >= 5, let classId = Int(fields[0]), let values = Optional(fields[1...4].compactMap { Double($0) }), values.count == 4 else {
                throw DetectionError("\(url.path):\(number + 1): expected 'class cx cy w h'")
            }
            let (w, h) = (Double(width), Double(height))
            return .init(classId: classId, box: BoundingBox(centerX: values[0] * w, centerY: values[1] * h, width: values[2] * w, height: values[3] * h))
        }
    }

    /// YOLO label lines for detections (normalised centre and size; with the score when asked).
    public static func labelLines(_ detections: [Detection], withScores: Bool) -> String {
        detections.map { d in
            let n = d.normalized
            let base = String(format: "%d %.6f %.6f %.6f %.6f", d.classId, (n.x1 + n.x2) / 2, (n.y1 + n.y2) / 2, n.width, n.height)
            return withScores ? base + String(format: " %.5f", d.score) : base
        }.joined(separator: "\n") + (detections.isEmpty ? "" : "\n")
    }
}
