public import YOLOFuseVision
import Foundation

/// Draws detections on the RGB image (optionally beside the IR view) so people can check them at any size.
public enum Annotator {
    /// Distinct colours per class, bright enough to read on dark night frames.
    static let palette: [(UInt8, UInt8, UInt8)] = [
        (255, 56, 56), (56, 168, 255), (255, 178, 29), (72, 249, 10), (207, 56, 255), (0, 212, 187),
        (255, 112, 31), (146, 204, 23), (255, 55, 199), (26, 147, 52), (0, 194, 255), (132, 56, 255),
    ]

    public static func annotate(_ image: Image, with detections: [Detection], ir: Image? = nil) -> Image {
        var canvas = image.toRGB()
        let shorter = min(canvas.width, canvas.height)
        let thickness = max(2, shorter / 300)
        let scale = max(1, shorter / 500)
        // Lowest score first, so the strongest boxes and labels end on top.
        for detection in detections.sorted(by: { $0.score < $1.score }) {
            let color = palette[detection.classId % palette.count]
            canvas.strokeRectangle(detection.box, thickness: thickness, color: color)
            let label = "\(detection.className) \(String(format: "%.2f", detection.score))"
            let (textWidth, textHeight) = BitmapFont.size(of: label, scale: scale)
            let x = min(max(0, Int(detection.box.x1)), max(0, canvas.width - textWidth - 2 * scale))
            // Above the box when there is room, else just inside its top edge.
            let above = Int(detection.box.y1) - textHeight - 2 * scale
            let y = above >= 0 ? above : Int(detection.box.y1)
            canvas.fill(x: x, y: y, width: textWidth + 2 * scale, height: textHeight + 2 * scale, color: color)
            canvas.drawText(label, x: x + scale, y: y + scale, scale: scale, color: (255, 255, 255))
        }
        guard let ir else { return canvas }
        return Image.sideBySide(canvas, ir)
    }
}
