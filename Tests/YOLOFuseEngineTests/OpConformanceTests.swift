import Foundation
import Testing
import YOLOFuseEngine
import YOLOFuseONNX
import YOLOFuseTensor

/// Builds small graphs in code: awkward shapes (odd sizes, channels that are not multiples of 8, batch 3).
struct GraphBuilder {
    var nodes: [Node] = []
    var initializers: [String: Tensor] = [:]
    var inputs: [ValueInfo] = []
    var feeds: [String: Tensor] = [:]
    var seed: UInt64 = 1

    mutating func input(_ name: String, _ dims: [Int], low: Float = -1, high: Float = 1) -> String {
        inputs.append(ValueInfo(name: name, dataType: .float32, dims: dims.map { .fixed($0) }))
        seed += 1
        feeds[name] = TestSupport.random(Shape(dims), seed: seed, low: low, high: high)
        return name
    }

    mutating func weight(_ name: String, _ dims: [Int], scale: Float = 0.3) -> String {
        seed += 1
        initializers[name] = TestSupport.random(Shape(dims), seed: seed, low: -scale, high: scale)
        return name
    }

    mutating func ints(_ name: String, _ values: [Int64]) -> String {
        initializers[name] = Tensor(int64s: values, shape: Shape([values.count]))
        return name
    }

    mutating func floats(_ name: String, _ values: [Float]) -> String {
        initializers[name] = Tensor(floats: values, shape: Shape([values.count]))
        return name
    }

    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], outputs: Int = 1, _ attributes: [String: AttributeValue] = [:]) -> [String] {
        let names = (0..<outputs).map { "\(op.lowercased())\(nodes.count)_\($0)" }
        nodes.append(Node(name: "\(op)\(nodes.count)", opType: op, inputs: inputs, outputs: names, attributes: attributes))
        return names
    }

    func model(outputs: [String], opset: Int = 18) -> Model {
        let graph = Graph(nodes: nodes, initializers: initializers, inputs: inputs,
                          outputs: outputs.map { ValueInfo(name: $0, dataType: .float32, dims: nil) })
        return Model(graph: graph, opsets: ["": opset], metadata: [:], producerName: "tests", irVersion: 8)
    }
}

@Suite("oneDNN kernels against the reference kernels")
struct OpConformanceTests {
    /// Runs `model` on both backends and compares every output.
    func compare(_ builder: GraphBuilder, outputs: [String], opset: Int = 18, tolerance: Float = 1e-4) async throws {
        let model = builder.model(outputs: outputs, opset: opset)
        let fast = try await TestSupport.onednn.load(model, warmUpBatches: [])
        let oracle = try await TestSupport.reference.load(model, warmUpBatches: [])
        let a = try await fast.run(builder.feeds)
        let b = try await oracle.run(builder.feeds)
        for name in outputs {
            let x = try #require(a[name]), y = try #require(b[name])
            #expect(x.shape == y.shape, "\(name): \(x.shape) vs \(y.shape)")
            if x.shape == y.shape {
                let scale = max(1, y.floats.map(abs).max() ?? 1)
                #expect(TestSupport.maxDifference(x, y) <= tolerance * scale, "\(name) differs")
            }
        }
    }

    @Test func convolutionWithSiLUAndResidual() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [3, 13, 11, 9])
        let r = g.input("r", [3, 7, 6, 5])
        let c = g.node("Conv", [x, g.weight("w", [7, 13, 3, 3]), g.weight("b", [7])], ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])])[0]
        let s = g.node("Sigmoid", [c])[0]
        let m = g.node("Mul", [c, s])[0]
        let y = g.node("Add", [r, m])[0]
        try await compare(g, outputs: [y])
    }

    /// 3x3 stride-1 convolutions with 32 or more channels in whole blocks of 16 run as Winograd on AVX-512 CPUs,
    /// their SiLU and residual Add in the engine's epilogue. The chain covers an output read by a Winograd
    /// convolution and an Add (moved to NHWC), one read only by a Winograd convolution with a residual (kept in
    /// nChw16c, the residual brought to it), one with nothing to apply (no epilogue), and the graph output.
    @Test func winogradConvolutionsAndTheirEpilogues() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [3, 32, 13, 11])
        let pads: [String: AttributeValue] = ["pads": .ints([1, 1, 1, 1])]
        let a = g.node("Conv", [x, g.weight("wa", [48, 32, 3, 3]), g.weight("ba", [48])], pads)[0]
        let ya = g.node("Mul", [a, g.node("Sigmoid", [a])[0]])[0]
        let b = g.node("Conv", [ya, g.weight("wb", [48, 48, 3, 3]), g.weight("bb", [48])], pads)[0]
        let yb = g.node("Add", [ya, g.node("Mul", [b, g.node("Sigmoid", [b])[0]])[0]])[0]
        let c = g.node("Conv", [yb, g.weight("wc", [32, 48, 3, 3])], pads)[0]
        let d = g.node("Conv", [c, g.weight("wd", [32, 32, 3, 3], scale: 0.1), g.weight("bd", [32])], pads)[0]
        let yd = g.node("Mul", [d, g.node("Sigmoid", [d])[0]])[0]
        try await compare(g, outputs: [yd])

        // oneDNN has Winograd kernels for AVX-512 only; elsewhere the same graph runs as direct convolutions.
        let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard cpuFlags.contains(" avx512f ") else { return }
        let session = try await TestSupport.onednn.load(g.model(outputs: [yd]), warmUpBatches: [])
        let kernels = try await session.kernelNames(for: ["x": Shape([3, 32, 13, 11])])
        #expect(kernels.filter { $0.hasPrefix("convolution") && $0.contains("wino") }.count == 4, "\(kernels)")
        #expect(kernels.filter { $0.hasPrefix("winograd epilogue") }.sorted()
                == ["winograd epilogue silu", "winograd epilogue silu", "winograd epilogue silu add (nChw16c)"], "\(kernels)")
    }

    /// Convolutions with few channels run on planar maps by the engine's own kernel (on AVX-512 CPUs): a
    /// stride-2 stem and a 5x5 one on channel slices of the input, a C3k2-like block whose split halves, residual
    /// and concatenation are read in place, a split half also read whole by a Sigmoid, and outputs written NHWC
    /// for a MaxPool (with 20 channels: a full group of 16 and a partial one), one of them with a residual.
    @Test func planarConvolutionsOnSlicesSplitsAndConcatenations() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [3, 6, 21, 19])
        let pads1: [String: AttributeValue] = ["pads": .ints([1, 1, 1, 1])]
        func silu(_ v: String) -> String { g.node("Mul", [v, g.node("Sigmoid", [v])[0]])[0] }
        let rgb = g.node("Slice", [x, g.ints("s0", [0]), g.ints("e0", [3]), g.ints("a0", [1])])[0]
        let ir = g.node("Slice", [x, g.ints("s1", [3]), g.ints("e1", [6]), g.ints("a1", [1])])[0]
        let stem = silu(g.node("Conv", [rgb, g.weight("w0", [5, 3, 3, 3]), g.weight("b0", [5])], ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])])[0])
        let wide = g.node("Conv", [ir, g.weight("w1", [7, 3, 5, 5])], ["pads": .ints([2, 2, 2, 2])])[0]
        let h = silu(g.node("Conv", [stem, g.weight("w2", [8, 5, 1, 1]), g.weight("b2", [8])])[0])
        let halves = g.node("Split", [h, g.ints("sizes", [4, 4])], outputs: 2, ["axis": .int(1)])
        let m1 = silu(g.node("Conv", [halves[1], g.weight("w3", [3, 4, 3, 3]), g.weight("b3", [3])], pads1)[0])
        let m2 = silu(g.node("Conv", [m1, g.weight("w4", [4, 3, 3, 3]), g.weight("b4", [4])], pads1)[0])
        let residual = g.node("Add", [halves[1], m2])[0]
        let cat = g.node("Concat", [halves[0], halves[1], residual], ["axis": .int(1)])[0]
        let joined = silu(g.node("Conv", [cat, g.weight("w5", [20, 12, 1, 1]), g.weight("b5", [20])])[0])
        let pooled = g.node("MaxPool", [joined], ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])])[0]
        let gate = g.node("Sigmoid", [halves[0]])[0]
        let v = g.node("Conv", [wide, g.weight("w6", [16, 7, 1, 1]), g.weight("b6", [16])])[0]
        let u = g.node("Add", [v, silu(g.node("Conv", [wide, g.weight("w7", [16, 7, 1, 1])])[0])])[0]
        let pooledU = g.node("MaxPool", [u], ["kernel_shape": .ints([2, 2])])[0]
        let outputs = [pooled, wide, gate, residual, pooledU]
        try await compare(g, outputs: outputs)

        let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard cpuFlags.contains(" avx512f ") else { return }
        let session = try await TestSupport.onednn.load(g.model(outputs: outputs), warmUpBatches: [])
        let kernels = try await session.kernelNames(for: ["x": Shape([3, 6, 21, 19])])
        #expect(kernels.filter { $0.hasPrefix("planar convolution") }.sorted() == [
            "planar convolution", "planar convolution", "planar convolution silu", "planar convolution silu",
            "planar convolution silu", "planar convolution silu (to NHWC)", "planar convolution silu add",
            "planar convolution silu add (to NHWC)",
        ], "\(kernels)")
        #expect(!kernels.contains { $0.hasPrefix("convolution") }, "\(kernels)")
    }

    @Test func depthwiseDilatedAndAsymmetricConvolution() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [2, 12, 7, 10])
        let d = g.node("Conv", [x, g.weight("w", [12, 1, 3, 3])], ["group": .int(12), "dilations": .ints([2, 2]), "pads": .ints([2, 2, 2, 2])])[0]
        let a = g.node("Conv", [d, g.weight("w2", [5, 12, 1, 3]), g.weight("b2", [5])], ["pads": .ints([0, 1, 0, 0])])[0]
        let same = g.node("Conv", [x, g.weight("w3", [3, 12, 3, 3])], ["auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])])[0]
        try await compare(g, outputs: [a, same])
    }

    @Test func poolingAndResize() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [3, 5, 9, 7])
        let p = g.node("MaxPool", [x], ["kernel_shape": .ints([5, 5]), "pads": .ints([2, 2, 2, 2])])[0]
        let q = g.node("MaxPool", [x], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])[0]
        let up = g.node("Resize", [p, "", g.floats("scales", [1, 1, 2, 2])], ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"), "nearest_mode": .string("floor")])[0]
        let odd = g.node("Resize", [x, "", g.floats("scales2", [1, 1, 1.5, 2.5])], ["mode": .string("nearest")])[0]
        try await compare(g, outputs: [q, up, odd])
    }

    @Test func concatSplitSliceTranspose() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [3, 13, 5, 6])
        let y = g.input("y", [3, 3, 5, 6])
        let parts = g.node("Split", [x, g.ints("sizes", [6, 7])], outputs: 2, ["axis": .int(1)])
        let cat = g.node("Concat", [parts[1], y, parts[0]], ["axis": .int(1)])[0]
        let sliced = g.node("Slice", [cat, g.ints("st", [-9, 1]), g.ints("en", [100, 5]), g.ints("ax", [1, 3])])[0]
        let stepped = g.node("Slice", [x, g.ints("st2", [0]), g.ints("en2", [13]), g.ints("ax2", [1]), g.ints("sp2", [3])])[0]
        let t = g.node("Transpose", [sliced], ["perm": .ints([0, 2, 3, 1])])[0]
        let flat = g.node("Reshape", [t, g.ints("shape", [3, -1])])[0]
        let cat3 = g.node("Concat", [flat, flat], ["axis": .int(-1)])[0]
        try await compare(g, outputs: [cat, stepped, cat3])
    }

    @Test(arguments: [11, 13])
    func softmaxOverAnInnerAxis(opset: Int) async throws {
        var g = GraphBuilder()
        let x = g.input("x", [2, 16, 4, 7], low: -4, high: 4)
        let s = g.node("Softmax", [x], ["axis": .int(1)])[0]
        let last = g.node("Softmax", [x], ["axis": .int(-1)])[0]
        try await compare(g, outputs: [s, last], opset: opset)
    }

    /// DFL decoding as exported: fused into one kernel at opset 13 and later (the softmax runs over the bins
    /// only); at opset 11 Softmax(axis: 1) flattens every axis after the first, so nothing is fused and the ops
    /// run one by one. Batch 3 over 37 anchors runs on one thread; 1,000 anchors split over the team, each with a
    /// partial 16-lane block at the end.
    @Test(arguments: [(11, 3, 37), (18, 3, 37), (18, 1, 1000)])
    func dflDecoding(opset: Int, batch: Int, anchors: Int) async throws {
        var g = GraphBuilder()
        let x = g.input("x", [batch, 64, anchors], low: -12, high: 12)
        let shape = g.ints("shape", [Int64(batch), 4, 16, Int64(anchors)])
        let bins = g.node("Reshape", [x, shape])[0]
        let transposed = g.node("Transpose", [bins], ["perm": .ints([0, 2, 1, 3])])[0]
        let probabilities = g.node("Softmax", [transposed], ["axis": .int(1)])[0]
        g.initializers["bin_index"] = Tensor(floats: (0..<16).map(Float.init), shape: Shape([1, 16, 1, 1]))
        g.initializers["bin_bias"] = Tensor(floats: [0.25], shape: Shape([1]))
        let distances = g.node("Conv", [probabilities, "bin_index", "bin_bias"])[0]
        try await compare(g, outputs: [distances], opset: opset)
    }

    @Test func matmulAndBroadcastArithmetic() async throws {
        var g = GraphBuilder()
        let a = g.input("a", [2, 3, 5, 7])
        let b = g.input("b", [1, 3, 7, 4])
        let small = g.input("s", [1, 2, 5])
        let big = g.input("t", [3, 2, 5])
        let mm = g.node("MatMul", [a, b])[0]
        let mw = g.node("MatMul", [a, g.weight("w", [7, 4])])[0]
        let sub = g.node("Sub", [small, big])[0]
        let div = g.node("Div", [mm, g.floats("d", [2, 3, 4, 5])])[0]
        let mul = g.node("Mul", [big, small])[0]
        // Max and Min are variadic: one, two and three inputs.
        let max3 = g.node("Max", [big, small, g.input("u", [3, 1, 5])])[0]
        let min2 = g.node("Min", [big, small])[0]
        let max1 = g.node("Max", [small])[0]
        try await compare(g, outputs: [mm, mw, sub, div, mul, max3, min2, max1])
    }

    @Test func nhwcElementwiseAfterConvolution() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [3, 10, 6, 6])
        let c1 = g.node("Conv", [x, g.weight("w1", [9, 10, 1, 1])])[0]
        let c2 = g.node("Conv", [x, g.weight("w2", [9, 10, 3, 3])], ["pads": .ints([1, 1, 1, 1])])[0]
        let m = g.node("Mul", [c1, c2])[0]
        let s = g.node("Sigmoid", [m])[0]
        let bias = g.node("Add", [s, g.weight("cb", [9, 1, 1])])[0]
        let f = g.node("Flatten", [bias])[0]
        try await compare(g, outputs: [f])
    }

    @Test func splitHalvesReadInPlaceByConcatenations() async throws {
        // The C2f pattern: conv -> split -> concat of the halves with later convs; plus a concat that mixes a
        // half with a planar tensor, which must copy the half out.
        var g = GraphBuilder()
        let x = g.input("x", [3, 5, 7, 9])
        let plain = g.input("p", [3, 2, 7, 9])
        let c = g.node("Conv", [x, g.weight("w", [10, 5, 3, 3])], ["pads": .ints([1, 1, 1, 1])])[0]
        let halves = g.node("Split", [c, g.ints("sizes", [4, 6])], outputs: 2, ["axis": .int(1)])
        let m = g.node("Conv", [halves[1], g.weight("w2", [6, 6, 3, 3])], ["pads": .ints([1, 1, 1, 1])])[0]
        let joined = g.node("Concat", [halves[0], halves[1], m], ["axis": .int(1)])[0]
        let out = g.node("Conv", [joined, g.weight("w3", [3, 16, 1, 1])])[0]
        let mixed = g.node("Concat", [plain, halves[0]], ["axis": .int(1)])[0]
        let flat = g.node("Reshape", [mixed, g.ints("shape", [3, -1])])[0]
        try await compare(g, outputs: [out, flat])
    }
}
