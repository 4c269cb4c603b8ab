extension Letterbox {
    /// Renders an IR frame through its registration straight into this (RGB) letterbox: each model-input pixel
    /// is mapped back to RGB pixels, then through the inverse registration to IR pixels, and sampled there.
    /// One pass at model resolution instead of warping a full-size RGB-frame copy first.
    public func render(_ ir: Image, registration: Registration, into planes: UnsafeMutablePointer<Float>, grayPlanes: Int = 3) {
        let inverse = registration.inverse()!
        let outputPlanes = ir.format == .gray ? grayPlanes : 3
        fillPadding(planes, planes: outputPlanes)
        if inverse[1] == 0 && inverse[3] == 0 && inverse[6] == 0 && inverse[7] == 0 {
            renderSeparable(ir, inverse: inverse, into: planes, outputPlanes: outputPlanes)
        } else {
            renderProjective(ir, inverse: inverse, into: planes, outputPlanes: outputPlanes)
        }
    }

    /// Any homography: both IR coordinates of every sample come from one division by the perspective term.
    private func renderProjective(_ ir: Image, inverse: [Double], into planes: UnsafeMutablePointer<Float>, outputPlanes: Int) {
        let planeSize = width * height
        let channels = ir.channels
        let sx = Double(sourceWidth) / Double(resizedWidth), sy = Double(sourceHeight) / Double(resizedHeight)
        let (irWidth, irHeight) = (ir.width, ir.height)
        let maxX = Float(irWidth - 1), maxY = Float(irHeight - 1)
        let columns = resizedWidth
        // One interleaved row is sampled, then spread over the planes (a gray frame is sampled once, not per plane).
        let row = UnsafeMutablePointer<Float>.allocate(capacity: columns * channels)
        defer { row.deallocate() }
        ir.pixels.withUnsafeBufferPointer { src in
            let pixels = src.baseAddress!
            for v in 0..<resizedHeight {
                let y = (Double(v) + 0.5) * sy - 0.5
                // Along a row the numerators and the denominator change linearly with u: step them.
                let x0 = 0.5 * sx - 0.5
                var nx = inverse[0] * x0 + inverse[1] * y + inverse[2], ny = inverse[3] * x0 + inverse[4] * y + inverse[5]
                var nw = inverse[6] * x0 + inverse[7] * y + inverse[8]
                let dx = inverse[0] * sx, dy = inverse[3] * sx, dw = inverse[6] * sx
                for u in 0..<columns {
                    let irX = Float(nx / nw), irY = Float(ny / nw)
                    nx += dx; ny += dy; nw += dw
                    let out = row + u * channels
                    // Outside the IR camera's view reads as cold (0), as a full-frame warp would leave it.
                    guard irX >= 0, irY >= 0, irX <= maxX, irY <= maxY else {
                        for c in 0..<channels { out[c] = 0 }
                        continue
                    }
                    let x0 = Int(irX), y0 = Int(irY)
                    let right = (x0 + 1 < irWidth ? 1 : 0) * channels, down = (y0 + 1 < irHeight ? irWidth : 0) * channels
                    let ax = irX - Float(x0), ay = irY - Float(y0)
                    let p = pixels + (y0 * irWidth + x0) * channels
                    for c in 0..<channels {
                        let p00 = Float(p[c]), p01 = Float(p[c + right]), p10 = Float(p[c + down]), p11 = Float(p[c + down + right])
                        out[c] = roundedLevel((p00 + (p01 - p00) * ax) * (1 - ay) + (p10 + (p11 - p10) * ax) * ay)
                    }
                }
                let outRow = (top + v) * width + left
                if channels == 1 {
                    for plane in 0..<outputPlanes { (planes + plane * planeSize + outRow).update(from: row, count: columns) }
                } else {
                    for plane in 0..<3 {
                        let out = planes + plane * planeSize + outRow
                        for x in 0..<columns { out[x] = row[x * 3 + plane] }
                    }
                }
            }
        }
    }

    /// Scale and offset per axis, no rotation or perspective (cameras mounted side by side, the usual case): IR
    /// columns depend on the output column only and IR rows on the output row only, so each IR row is
    /// interpolated along x once and output rows blend two such rows, as the plain resize does. Same samples,
    /// same arithmetic as the projective path, about a third of its time.
    private func renderSeparable(_ ir: Image, inverse h: [Double], into planes: UnsafeMutablePointer<Float>, outputPlanes: Int) {
        let planeSize = width * height
        let channels = ir.channels
        let sx = Double(sourceWidth) / Double(resizedWidth), sy = Double(sourceHeight) / Double(resizedHeight)
        let (irWidth, irHeight) = (ir.width, ir.height)
        let columns = resizedWidth
        // IR coordinates of each output column and row; the ones inside the view form one run each (the map is
        // monotonic), outside it samples read as cold (0).
        func irCoordinate(_ index: Int, step: Double, scale: Double, offset: Double) -> Float {
            let rgb: Double = (Double(index) + 0.5) * step - 0.5
            return Float((scale * rgb + offset) / h[8])
        }
        let irXs = (0..<columns).map { irCoordinate($0, step: sx, scale: h[0], offset: h[2]) }
        let irYs = (0..<resizedHeight).map { irCoordinate($0, step: sy, scale: h[4], offset: h[5]) }
        func inside(_ value: Float, _ size: Int) -> Bool { value >= 0 && value <= Float(size - 1) }
        let visibleColumns = irXs.indices.filter { inside(irXs[$0], irWidth) }
        let firstColumn = visibleColumns.first ?? 0, endColumn = (visibleColumns.last ?? -1) + 1
        // Source offsets and weights per output column, as flat buffers the inner loops read without checks.
        let offsets = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * columns)
        let sourceLength = irWidth * channels
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: columns + 3 * columns * channels + sourceLength)
        defer { offsets.deallocate(); scratch.deallocate() }
        let first = offsets, second = offsets + columns, weights = scratch + 3 * columns * channels
        // An IR row converted to floats in one vectorized pass before the taps gather from it.
        let sourceFloats = weights + columns
        for (u, x) in irXs.enumerated() {
            let x0 = Int(max(x, 0))
            first[u] = Int32(x0 * channels)
            second[u] = Int32(min(x0 + 1, irWidth - 1) * channels)
            weights[u] = x - Float(x0)
        }
        var upper = scratch, lower = scratch + columns * channels
        let blended = scratch + 2 * columns * channels
        var cachedUpper = -1, cachedLower = -1
        ir.pixels.withUnsafeBufferPointer { src in
            // One IR row interpolated along x, one run of floats per channel.
            func horizontal(_ irRow: Int, into out: UnsafeMutablePointer<Float>) {
                let bytes = src.baseAddress! + irRow * sourceLength
                for i in 0..<sourceLength { sourceFloats[i] = Float(bytes[i]) }
                for c in 0..<channels {
                    let channelRow = UnsafePointer(sourceFloats + c), channelOut = out + c * columns
                    for u in firstColumn..<endColumn {
                        let p = channelRow[Int(first[u])], q = channelRow[Int(second[u])]
                        channelOut[u] = p + (q - p) * weights[u]
                    }
                }
            }
            for (v, irY) in irYs.enumerated() {
                let outRow = (top + v) * width + left
                guard inside(irY, irHeight), firstColumn < endColumn else {
                    for plane in 0..<outputPlanes { (planes + plane * planeSize + outRow).update(repeating: 0, count: columns) }
                    continue
                }
                let y0 = Int(irY), y1 = min(y0 + 1, irHeight - 1)
                if cachedUpper != y0 {
                    if cachedLower == y0 {
                        swap(&upper, &lower)
                        cachedLower = -1
                    } else {
                        horizontal(y0, into: upper)
                    }
                    cachedUpper = y0
                }
                if cachedLower != y1 { horizontal(y1, into: lower); cachedLower = y1 }
                let ay = irY - Float(y0)
                for c in 0..<channels {
                    let u0 = upper + c * columns, l0 = lower + c * columns, out = blended + c * columns
                    out.update(repeating: 0, count: firstColumn)
                    for u in firstColumn..<endColumn { out[u] = roundedLevel(u0[u] * (1 - ay) + l0[u] * ay) }
                    (out + endColumn).update(repeating: 0, count: columns - endColumn)
                }
                for plane in 0..<outputPlanes {
                    (planes + plane * planeSize + outRow).update(from: blended + (channels == 1 ? 0 : plane * columns), count: columns)
                }
            }
        }
    }
}
