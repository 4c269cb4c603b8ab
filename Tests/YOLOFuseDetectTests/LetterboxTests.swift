import Testing
import YOLOFuseVision

@Suite struct LetterboxTests {
    @Test func geometryMatchesTheReferenceFormula() {
        // 1920x1080 into 640: scale 1/3, 640x360 centred with 140 rows of padding above and below.
        let box = Letterbox(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 640, targetHeight: 640)
        #expect((box.resizedWidth, box.resizedHeight, box.left, box.top, box.width, box.height) == (640, 360, 0, 140, 640, 640))
        // Odd padding: 641 - 0 ... the extra row goes to the bottom, as round(dh - 0.1) / round(dh + 0.1) put it.
        let odd = Letterbox(sourceWidth: 100, sourceHeight: 61, targetWidth: 320, targetHeight: 320)
        #expect(odd.resizedHeight == 195 && odd.top == 62 && odd.height == 320)
        // Minimal padding for dynamic models: only up to a multiple of 32.
        let minimal = Letterbox(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 640, targetHeight: 640, minimalPadding: true)
        #expect((minimal.width, minimal.height, minimal.top) == (640, 384, 12))
    }

    @Test func boxesRoundTrip() {
        let box = Letterbox(sourceWidth: 1280, sourceHeight: 1024, targetWidth: 640, targetHeight: 640)
        let original = (100.0, 200.0, 700.0, 900.0)
        let forward = (original.0 * box.scale + Double(box.left), original.1 * box.scale + Double(box.top),
                       original.2 * box.scale + Double(box.left), original.3 * box.scale + Double(box.top))
        let back = box.toSource(forward)
        #expect(abs(back.0 - original.0) < 1e-9 && abs(back.1 - original.1) < 1e-9 && abs(back.2 - original.2) < 1e-9 && abs(back.3 - original.3) < 1e-9)
        // Boxes reaching into the padding are clipped to the image.
        let clipped = box.toSource((-50, -50, 700, 700))
        #expect(clipped.0 == 0 && clipped.1 == 0 && clipped.2 == 1280 && clipped.3 == 1024)
    }

    @Test func renderPadsAndScalesPixels() {
        let image = Image(width: 4, height: 2, format: .rgb, pixels: [UInt8](repeating: 255, count: 24))
        let box = Letterbox(sourceWidth: 4, sourceHeight: 2, targetWidth: 8, targetHeight: 8)
        var planes = [Float](repeating: -1, count: 3 * 64)
        planes.withUnsafeMutableBufferPointer { box.render(image, into: $0.baseAddress!) }
        // 8x4 of white in rows 2...5, gray 114 elsewhere, in all three planes.
        for plane in 0..<3 {
            for y in 0..<8 {
                let expected: Float = (2..<6).contains(y) ? 1 : 114 / 255
                #expect(planes[plane * 64 + y * 8 + 3] == expected)
            }
        }
        // A gray image fills three planes with the same values.
        let gray = Image(width: 4, height: 2, format: .gray, pixels: [0, 50, 100, 150, 200, 250, 255, 5])
        var grayPlanes = [Float](repeating: -1, count: 3 * 64)
        grayPlanes.withUnsafeMutableBufferPointer { box.render(gray, into: $0.baseAddress!) }
        #expect(Array(grayPlanes[0..<64]) == Array(grayPlanes[64..<128]))
        #expect(Array(grayPlanes[0..<64]) == Array(grayPlanes[128..<192]))
    }

    /// The optimised two-pass render (and the copy of frames already at size) against a plain per-pixel bilinear
    /// resize with the same rounding: equal bits.
    @Test(arguments: [(37, 23, Image.Format.rgb, 64, 64), (19, 11, .gray, 48, 32), (640, 480, .rgb, 320, 320), (33, 70, .gray, 96, 64),
                      (64, 48, .gray, 64, 64), (48, 32, .rgb, 48, 48)])
    func renderMatchesAPlainBilinearResize(_ sw: Int, _ sh: Int, _ format: Image.Format, _ tw: Int, _ th: Int) {
        var generator = SystemRandomNumberGenerator()
        let image = Image(width: sw, height: sh, format: format, pixels: (0..<sw * sh * format.rawValue).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let box = Letterbox(sourceWidth: sw, sourceHeight: sh, targetWidth: tw, targetHeight: th)
        var planes = [Float](repeating: -1, count: 3 * box.width * box.height)
        planes.withUnsafeMutableBufferPointer { box.render(image, into: $0.baseAddress!) }
        func taps(_ source: Int, _ destination: Int) -> [(Int, Float)] {
            (0..<destination).map { d in
                let position = (Double(d) + 0.5) * Double(source) / Double(destination) - 0.5
                var index = Int(position.rounded(.down)), weight = Float(position - Double(index))
                if index < 0 { index = 0; weight = 0 }
                if index >= source - 1 { index = source - 1; weight = 0 }
                return (index, weight)
            }
        }
        let xs = taps(sw, box.resizedWidth), ys = taps(sh, box.resizedHeight), channels = format.rawValue
        var mismatches = 0
        for plane in 0..<3 {
            let c = channels == 1 ? 0 : plane
            func pixel(_ x: Int, _ y: Int) -> Float { Float(image.pixels[(y * sw + x) * channels + c]) }
            for y in 0..<box.height {
                for x in 0..<box.width {
                    var expected = Float(Letterbox.padValue) / 255
                    let (ry, rx) = (y - box.top, x - box.left)
                    if (0..<box.resizedHeight).contains(ry) && (0..<box.resizedWidth).contains(rx) {
                        let (iy, wy) = ys[ry], (ix, wx) = xs[rx]
                        func row(_ yy: Int) -> Float { pixel(ix, yy) + (pixel(min(ix + 1, sw - 1), yy) - pixel(ix, yy)) * wx }
                        let upper = row(iy), lower = row(min(iy + 1, sh - 1))
                        expected = Float(Int32(upper + (lower - upper) * wy + 0.5)) * (1 / 255)
                    }
                    if planes[plane * box.width * box.height + y * box.width + x] != expected { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func registrationMapsKnownPoints() throws {
        // IR is the RGB scene shifted 10 px right and 5 px down: RGB(x, y) = IR(x - 10, y - 5).
        let registration = try Registration(affine: [1, 0, 10, 0, 1, 5])
        var ir = Image(width: 40, height: 30, format: .gray)
        ir.pixels[7 * 40 + 12] = 200  // IR (12, 7)
        let warped = registration.warp(ir, width: 60, height: 50)
        #expect(warped.pixels[12 * 60 + 22] == 200)  // RGB (22, 12)
        #expect(warped.pixels.filter { $0 != 0 }.count == 1)
        #expect(throws: ImageError.self) { try Registration(homography: [0, 0, 0, 0, 0, 0, 0, 0, 0]) }
        // Same aspect ratio pairs are scaled; others need a registration.
        let small = Image(width: 32, height: 24, format: .gray)
        #expect(try ImagePair.align(rgb: Image(width: 64, height: 48, format: .rgb), ir: small).width == 64)
        #expect(throws: ImageError.self) { try ImagePair.align(rgb: Image(width: 64, height: 36, format: .rgb), ir: small) }
    }

    @Test func registeredIRRendersLikeTheScaledFrame() throws {
        // IR at half the RGB resolution, registered by a plain 2x scale: rendering through the registration
        // must match rendering the IR frame directly, up to the quarter-pixel difference between the warp's
        // pixel-index convention and the resize's pixel-centre one.
        let ir = Support.pattern(width: 160, height: 120, format: .gray, blocks: false)
        let box = Letterbox(sourceWidth: 320, sourceHeight: 240, targetWidth: 128, targetHeight: 128)
        var direct = [Float](repeating: 0, count: 3 * 128 * 128), warped = direct
        direct.withUnsafeMutableBufferPointer { box.render(ir, into: $0.baseAddress!) }
        let registration = try Registration(affine: [2, 0, 0, 0, 2, 0])
        warped.withUnsafeMutableBufferPointer { box.render(ir, registration: registration, into: $0.baseAddress!) }
        func meanDifference(_ a: [Float], _ b: [Float]) -> Float {
            var total: Float = 0
            for (x, y) in zip(a, b) { total += abs(x - y) }
            return total / Float(a.count)
        }
        #expect(meanDifference(direct, warped) < 5 / 255)
        // A wrong registration is far off, so the bound above means something.
        var wrong = direct
        wrong.withUnsafeMutableBufferPointer { box.render(ir, registration: try! Registration(affine: [1.5, 0, 20, 0, 1.5, 0]), into: $0.baseAddress!) }
        #expect(meanDifference(direct, wrong) > 20 / 255)
        // The padding is untouched by the warp.
        #expect(warped[0] == 114 / 255 && warped[127 * 128] == 114 / 255)
    }

    @Test(arguments: [(Image.Format.gray, [2.9, 0.05, -30, 0.02, 2.2, 12, 0, 0, 1]), (.rgb, [2.8, 0.1, 5, -0.05, 2.0, -8, 1e-4, -2e-4, 1]),
                      (.gray, [3.1, 0.0, 40, 0.0, 2.3, 0, 2e-4, 1e-4, 1])])
    func registeredRenderMatchesPlainSampling(format: Image.Format, homography: [Double]) throws {
        // The row-at-a-time render (stepping its coordinates along a row) agrees with sampling every plane of every
        // pixel on its own to within a level where rounding of the stepped coordinates tips it, with parts of the
        // frame outside the IR view.
        let (fast, plain, _) = try Self.renderedBothWays(format, homography)
        let differences = zip(fast, plain).map { abs($0 - $1) }
        #expect(differences.max()! <= 1.001 / 255)
        #expect(differences.filter { $0 > 0 }.count <= fast.count / 1000)
        #expect(Set(fast).count > 20)
    }

    @Test(arguments: [(Image.Format.gray, [3.0, 0, -40, 0, 2.109375, 25, 0, 0, 1]), (.rgb, [2.5, 0, 30, 0, 2.5, -10, 0, 0, 1])])
    func axisAlignedRegistrationSamplesExactlyAsPlainSampling(format: Image.Format, affine: [Double]) throws {
        // Scale and offset only: the separable path takes the same samples with the same arithmetic, bit for bit,
        // with the IR view ending inside the frame (left, right, top) so cold samples are covered too.
        let (fast, plain, box) = try Self.renderedBothWays(format, affine)
        #expect(fast == plain)
        let imageRow = Array(fast[(box.top + box.resizedHeight / 2) * 128 + box.left..<(box.top + box.resizedHeight / 2) * 128 + box.left + box.resizedWidth])
        #expect(imageRow.first == 0 || imageRow.last == 0)
        #expect(Set(fast).count > 20)
    }

    /// A 96x80 IR pattern registered into a 320x180 frame's 128x128 letterbox: the render under test, and the plain one.
    static func renderedBothWays(_ format: Image.Format, _ homography: [Double]) throws -> (fast: [Float], plain: [Float], box: Letterbox) {
        let ir = Support.pattern(width: 96, height: 80, format: format, blocks: true)
        let registration = try Registration(homography: homography)
        let box = Letterbox(sourceWidth: 320, sourceHeight: 180, targetWidth: 128, targetHeight: 128)
        var fast = [Float](repeating: -1, count: 3 * 128 * 128)
        fast.withUnsafeMutableBufferPointer { box.render(ir, registration: registration, into: $0.baseAddress!) }
        return (fast, plainRegisteredRender(ir, box: box, inverse: registration.inverse()!), box)
    }

    /// Each output sample computed on its own: map to RGB, then to IR, sample bilinearly.
    static func plainRegisteredRender(_ ir: Image, box: Letterbox, inverse h: [Double]) -> [Float] {
        let plane = box.width * box.height
        var out = [Float](repeating: 114 / 255, count: 3 * plane)
        let sx = Double(box.sourceWidth) / Double(box.resizedWidth), sy = Double(box.sourceHeight) / Double(box.resizedHeight)
        for v in 0..<box.resizedHeight {
            for u in 0..<box.resizedWidth {
                let x = (Double(u) + 0.5) * sx - 0.5, y = (Double(v) + 0.5) * sy - 0.5
                let w = h[6] * x + h[7] * y + h[8]
                let irX = Float((h[0] * x + h[1] * y + h[2]) / w), irY = Float((h[3] * x + h[4] * y + h[5]) / w)
                let index = (box.top + v) * box.width + box.left + u
                for p in 0..<3 {
                    guard irX >= 0, irY >= 0, irX <= Float(ir.width - 1), irY <= Float(ir.height - 1) else { out[p * plane + index] = 0; continue }
                    let x0 = Int(irX), y0 = Int(irY), x1 = min(x0 + 1, ir.width - 1), y1 = min(y0 + 1, ir.height - 1)
                    let ax = irX - Float(x0), ay = irY - Float(y0)
                    let c = ir.channels == 1 ? 0 : p
                    func at(_ x: Int, _ y: Int) -> Float { Float(ir.pixels[(y * ir.width + x) * ir.channels + c]) }
                    let value = (at(x0, y0) + (at(x1, y0) - at(x0, y0)) * ax) * (1 - ay) + (at(x0, y1) + (at(x1, y1) - at(x0, y1)) * ax) * ay
                    out[p * plane + index] = Float(Int32(value + 0.5)) * (1 / 255)
                }
            }
        }
        return out
    }
}
