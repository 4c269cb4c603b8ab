public import YOLOFuseVision

/// Thresholds and filters of one detection call.
public struct DetectionOptions: Sendable, Equatable {
    /// Minimum class score.
    public var confidence: Double
    /// IoU above which NMS drops the lower-scoring box of the same class.
    public var iou: Double
    /// Only these class ids (nil: all).
    public var classes: Set<Int>?
    public var maxDetections: Int
    /// Maps IR pixels onto the RGB frame when the cameras differ.
    public var registration: Registration?

    /// YOLOFuse's inference defaults: confidence 0.25, IoU 0.45, 300 detections.
    public init(confidence: Double = 0.25, iou: Double = 0.45, classes: Set<Int>? = nil, maxDetections: Int = 300, registration: Registration? = nil) {
        self.confidence = confidence
        self.iou = iou
        self.classes = classes
        self.maxDetections = maxDetections
        self.registration = registration
    }

    /// Checks ranges; the message names the field.
    public func validate(classCount: Int) throws {
        guard (0...1).contains(confidence) else { throw DetectionError(field: "conf", "must be between 0 and 1, got \(confidence)") }
        guard (0...1).contains(iou) else { throw DetectionError(field: "iou", "must be between 0 and 1, got \(iou)") }
        guard maxDetections >= 0 else { throw DetectionError(field: "max_det", "must not be negative, got \(maxDetections)") }
        if let classes, let bad = classes.first(where: { $0 < 0 || $0 >= classCount }) {
            throw DetectionError(field: "classes", "class \(bad) does not exist (the model has \(classCount) classes)")
        }
    }
}

/// One detected object.
public struct Detection: Sendable, Equatable, Codable {
    public var classId: Int
    public var className: String
    public var score: Double
    /// Corners in original RGB image pixels.
    public var box: BoundingBox
    /// The same corners divided by the image width and height.
    public var normalized: BoundingBox

    public init(classId: Int, className: String, score: Double, box: BoundingBox, normalized: BoundingBox) {
        self.classId = classId
        self.className = className
        self.score = score
        self.box = box
        self.normalized = normalized
    }
}

/// Milliseconds spent in each stage of one detection.
public struct StageTimings: Sendable, Equatable, Codable {
    public var decodeMs: Double = 0
    public var preprocessMs: Double = 0
    public var inferenceMs: Double = 0
    public var postprocessMs: Double = 0

    public init(decodeMs: Double = 0, preprocessMs: Double = 0, inferenceMs: Double = 0, postprocessMs: Double = 0) {
        self.decodeMs = decodeMs
        self.preprocessMs = preprocessMs
        self.inferenceMs = inferenceMs
        self.postprocessMs = postprocessMs
    }

    public var totalMs: Double { decodeMs + preprocessMs + inferenceMs + postprocessMs }
}

/// The detections of one image pair, with the original size they refer to.
public struct DetectionResult: Sendable, Equatable, Codable {
    public var imageWidth: Int
    public var imageHeight: Int
    public var detections: [Detection]
    public var timings: StageTimings

    public init(imageWidth: Int, imageHeight: Int, detections: [Detection], timings: StageTimings) {
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.detections = detections
        self.timings = timings
    }
}

/// Input or options a detector cannot use; `field` names the option or part at fault.
public struct DetectionError: Error, CustomStringConvertible, Sendable {
    public let field: String?
    public let reason: String

    public init(field: String? = nil, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.map { "\($0): \(reason)" } ?? reason }
}
