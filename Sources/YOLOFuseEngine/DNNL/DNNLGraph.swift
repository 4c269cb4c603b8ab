internal import CDNNL
import Foundation
internal import YOLOFuseONNX
import YOLOFuseTensor

/// Where a value's bytes are during a run.
enum ValueLocation {
    /// In the run's arena at this byte offset.
    case arena(Int)
    /// In a tensor owned by the compiled graph (weights, folded constants).
    case constant(Tensor)
    /// The caller's input tensor with this name.
    case input(String)
}

/// One step of a compiled graph.
enum DNNLStep {
    /// A oneDNN primitive and its arguments (DNNL_ARG_* with the descriptor and location of each).
    case primitive(DNNLPrimitive, [(argument: Int32, descriptor: dnnl_memory_desc_t, location: ValueLocation)])
    /// A reference kernel on plain tensors, for ops oneDNN does not take.
    case reference(PlannedNode, inputs: [(location: ValueLocation, type: TensorType)?], outputs: [(location: ValueLocation, type: TensorType)])
    /// A concatenation done as row copies.
    case concat(ConcatCopy, inputs: [ValueLocation], output: ValueLocation)
    /// DFL decoding of a detection head, fused.
    case dfl(DFLExpectation, input: ValueLocation, output: ValueLocation)
    /// A Winograd convolution's SiLU and residual Add, and its output's move to NHWC where it has readers of NHWC.
    case winogradEpilogue(WinogradEpilogue, input: ValueLocation, residual: ValueLocation?, output: ValueLocation)
    /// A convolution on planar maps by the engine's own kernel, reading its input (and residual) as channel ranges.
    case planarConv(PlanarConvolution, inputs: [PlanarConvolution.Source], residual: PlanarConvolution.Source?, output: ValueLocation)
}

extension DNNLStep {
    /// The primitive's kind and oneDNN implementation, or which of the engine's own kernels the step runs.
    var kernelName: String {
        switch self {
        case .primitive(let primitive, _):
            var info: UnsafePointer<CChar>?
            _ = withUnsafeMutablePointer(to: &info) { dnnl_primitive_desc_query(primitive.descriptor, dnnl_query_impl_info_str, 0, $0) }
            var primitiveKind = dnnl_undefined_primitive
            _ = dnnl_primitive_desc_query(primitive.descriptor, dnnl_query_primitive_kind, 0, &primitiveKind)
            return "\(String(cString: dnnl_prim_kind2str(primitiveKind))) \(info.map { String(cString: $0) } ?? "?")"
        case .concat:
            return "concat (row copies)"
        case .dfl:
            return "dfl expectation"
        case .winogradEpilogue(let epilogue, _, let residual, _):
            return "winograd epilogue" + (epilogue.swish ? " silu" : "") + (residual == nil ? "" : " add") + (epilogue.toNHWC ? "" : " (nChw16c)")
        case .planarConv(let convolution, _, let residual, _):
            return "planar convolution" + (convolution.swish ? " silu" : "") + (residual == nil ? "" : " add") + (convolution.outputNHWC ? " (to NHWC)" : "")
        case .reference(let planned, _, _):
            return "reference \(planned.node.opType)"
        }
    }
}

/// A graph compiled for oneDNN at one set of input shapes: steps, arena size and a pool of run contexts.
/// `@unchecked Sendable`: steps and descriptors are immutable; the context pool is guarded by a lock and each
/// context is used by one run at a time.
final class DNNLGraph: CompiledGraph, @unchecked Sendable {
    let steps: [DNNLStep]
    let arenaBytes: Int
    let scratchpadBytes: Int
    /// Graph output name -> where its plain-layout value is after the run, and its type.
    let outputs: [(name: String, location: ValueLocation, type: TensorType)]

    private let lock = NSLock()
    private var idleContexts: [RunContext] = []

    init(steps: [DNNLStep], arenaBytes: Int, outputs: [(name: String, location: ValueLocation, type: TensorType)]) {
        self.steps = steps
        self.arenaBytes = arenaBytes
        self.outputs = outputs
        scratchpadBytes = steps.map { step in
            if case .primitive(let primitive, _) = step { return primitive.scratchpadBytes }
            return 0
        }.max() ?? 0
    }

    var kernelNames: [String] { steps.map(\.kernelName) }

    func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        let context = try checkOut()
        defer { checkIn(context) }
        return try context.run(inputs)
    }

    private func checkOut() throws -> RunContext {
        lock.lock()
        let reused = idleContexts.popLast()
        lock.unlock()
        return try reused ?? RunContext(graph: self)
    }

    private func checkIn(_ context: RunContext) {
        lock.lock()
        idleContexts.append(context)
        lock.unlock()
    }
}

/// The mutable state of one run: stream and oneDNN memory objects. Memory objects are created once here; a run
/// borrows an arena (activations, then the scratchpad) from the shared pool and rebinds the objects that point
/// into it, and the caller's input buffers.
final class RunContext {
    let graph: DNNLGraph
    let stream: dnnl_stream_t
    private var arguments: [[dnnl_exec_arg_t]] = []
    private var memories: [dnnl_memory_t] = []
    /// Memory objects that read a caller's input: rebound to its buffer at every run.
    private var inputBindings: [(memory: dnnl_memory_t, input: String)] = []
    /// Memory objects in the arena (and the scratchpad, after it): rebound to the borrowed buffer at every run.
    private var arenaBindings: [(memory: dnnl_memory_t, offset: Int)] = []
    /// The borrowed buffer during a run.
    private var arena = UnsafeMutableRawPointer(bitPattern: 64)!
    private let scratchpadOffset: Int

    init(graph: DNNLGraph) throws {
        self.graph = graph
        scratchpadOffset = (graph.arenaBytes + 63) / 64 * 64
        var stream: dnnl_stream_t?
        try dnnlCheck(dnnl_stream_create(&stream, DNNLEngine.shared, UInt32(dnnl_stream_default_flags.rawValue)), "stream creation")
        self.stream = stream!
        for step in graph.steps {
            guard case .primitive(let primitive, let args) = step else { arguments.append([]); continue }
            var bound: [dnnl_exec_arg_t] = []
            for arg in args {
                var descriptor = arg.descriptor
                var memory: dnnl_memory_t?
                let handle: UnsafeMutableRawPointer? = switch arg.location {
                case .arena, .input: nil
                case .constant(let tensor): tensor.storage.pointer
                }
                try dnnlCheck(dnnl_memory_create(&memory, &descriptor, DNNLEngine.shared, handle), "memory creation")
                memories.append(memory!)
                switch arg.location {
                case .input(let name): inputBindings.append((memory!, name))
                case .arena(let offset): arenaBindings.append((memory!, offset))
                case .constant: break
                }
                bound.append(dnnl_exec_arg_t(arg: arg.argument, memory: memory))
            }
            if primitive.scratchpadBytes > 0 {
                var descriptor = primitive.query(dnnl_query_scratchpad_md)!
                var memory: dnnl_memory_t?
                try dnnlCheck(dnnl_memory_create(&memory, &descriptor, DNNLEngine.shared, nil), "scratchpad memory")
                memories.append(memory!)
                arenaBindings.append((memory!, scratchpadOffset))
                bound.append(dnnl_exec_arg_t(arg: 80 /* DNNL_ARG_SCRATCHPAD */, memory: memory))
            }
            arguments.append(bound)
        }
    }

    deinit {
        for memory in memories { dnnl_memory_destroy(memory) }
        dnnl_stream_destroy(stream)
    }

    private func pointer(at location: ValueLocation, inputs: [String: Tensor]) -> UnsafeMutableRawPointer {
        switch location {
        case .arena(let offset): arena + offset
        case .constant(let tensor): tensor.storage.pointer
        case .input(let name): inputs[name]!.storage.pointer
        }
    }

    private func tensor(at location: ValueLocation, type: TensorType, inputs: [String: Tensor]) -> Tensor {
        switch location {
        case .arena(let offset):
            let bytes = type.shape.elementCount * type.dataType.byteWidth
            return Tensor(dataType: type.dataType, shape: type.shape, storage: TensorStorage(borrowing: arena + offset, byteCount: bytes))
        case .constant(let tensor): return tensor
        case .input(let name): return inputs[name]!
        }
    }

    func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        let buffer = ArenaPool.shared.acquire(scratchpadOffset + graph.scratchpadBytes)
        defer { ArenaPool.shared.release(buffer) }
        arena = buffer.pointer
        for binding in arenaBindings {
            try dnnlCheck(dnnl_memory_set_data_handle(binding.memory, arena + binding.offset), "arena binding")
        }
        let profiling = StepProfile.enabled
        var profile = StepProfile()
        for binding in inputBindings {
            try dnnlCheck(dnnl_memory_set_data_handle(binding.memory, inputs[binding.input]!.storage.pointer), "input binding")
        }
        for (index, step) in graph.steps.enumerated() {
            let started = profiling ? ContinuousClock.now : nil
            defer {
                if let started {
                    _ = dnnl_stream_wait(stream)
                    profile.record(step, elapsed: ContinuousClock.now - started)
                }
            }
            switch step {
            case .primitive(let primitive, _):
                let status = arguments[index].withUnsafeBufferPointer {
                    dnnl_primitive_execute(primitive.handle, stream, Int32($0.count), $0.baseAddress)
                }
                try dnnlCheck(status, "execution of step \(index)")
            case .concat(let copy, let sources, let target):
                try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
                copy.run(sources: sources.map { UnsafeRawPointer(pointer(at: $0, inputs: inputs)) }, destination: pointer(at: target, inputs: inputs))
            case .dfl(let kernel, let source, let target):
                try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
                kernel.run(input: pointer(at: source, inputs: inputs).assumingMemoryBound(to: Float.self),
                           output: pointer(at: target, inputs: inputs).assumingMemoryBound(to: Float.self))
            case .winogradEpilogue(let epilogue, let source, let residual, let target):
                try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
                epilogue.run(blocked: pointer(at: source, inputs: inputs).assumingMemoryBound(to: Float.self),
                             output: pointer(at: target, inputs: inputs).assumingMemoryBound(to: Float.self),
                             residual: residual.map { UnsafePointer(pointer(at: $0, inputs: inputs).assumingMemoryBound(to: Float.self)) })
            case .planarConv(let convolution, let sources, let residual, let target):
                try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
                func floats(_ source: PlanarConvolution.Source) -> UnsafePointer<Float> {
                    UnsafePointer(pointer(at: source.location, inputs: inputs).assumingMemoryBound(to: Float.self))
                }
                convolution.run(inputs: sources.map { (floats($0), $0.segment) }, residual: residual.map { (floats($0), $0.segment) },
                                output: pointer(at: target, inputs: inputs).assumingMemoryBound(to: Float.self))
            case .reference(let planned, let inputSlots, let outputSlots):
                // Reference kernels run in order on this thread, so finish the queued primitives first.
                try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
                let values = inputSlots.map { slot in slot.map { tensor(at: $0.location, type: $0.type, inputs: inputs) } }
                let results = try planned.op.evaluate(values)
                for (result, slot) in zip(results, outputSlots) {
                    let target = tensor(at: slot.location, type: slot.type, inputs: inputs)
                    target.storage.pointer.copyMemory(from: result.storage.pointer, byteCount: result.byteCount)
                }
            }
        }
        try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
        if profiling { profile.report() }
        var results: [String: Tensor] = [:]
        for output in graph.outputs {
            let source = tensor(at: output.location, type: output.type, inputs: inputs)
            let copy = Tensor(uninitialized: output.type.dataType, shape: output.type.shape)  // overwritten in full
            copy.storage.pointer.copyMemory(from: source.storage.pointer, byteCount: copy.byteCount)
            results[output.name] = copy
        }
        return results
    }
}
