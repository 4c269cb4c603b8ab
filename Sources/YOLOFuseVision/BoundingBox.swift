/// An axis-aligned box in pixels, corners (x1, y1) top-left and (x2, y2) bottom-right.
public struct BoundingBox: Sendable, Equatable, Codable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double

    public init(x1: Double, y1: Double, x2: Double, y2: Double) {
        // Corners given the wrong way round are put right, so area and IoU never go negative.
        self.x1 = min(x1, x2); self.x2 = max(x1, x2)
        self.y1 = min(y1, y2); self.y2 = max(y1, y2)
    }

    public init(centerX: Double, centerY: Double, width: Double, height: Double) {
        self.init(x1: centerX - width / 2, y1: centerY - height / 2, x2: centerX + width / 2, y2: centerY + height / 2)
    }

    public var width: Double { x2 - x1 }
    public var height: Double { y2 - y1 }
    public var area: Double { max(0, width) * max(0, height) }

    public func iou(_ other: BoundingBox) -> Double {
        let w = min(x2, other.x2) - max(x1, other.x1), h = min(y2, other.y2) - max(y1, other.y1)
        guard w > 0, h > 0 else { return 0 }
        let inter = w * h
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }
}
