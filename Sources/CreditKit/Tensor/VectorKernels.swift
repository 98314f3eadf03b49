import CVectorKernels
import Foundation

/// Which kernels run the elementwise passes of a step (activations, the momentum update): the
/// portable Swift ones, or their AVX-512 / AVX2 twins in the `CVectorKernels` C target.
///
/// The Swift module is compiled for the baseline x86-64, where `SIMD8<Float>` becomes pairs of SSE
/// instructions: on a 784-800-800-10 step at batch 128 the passes outside the matrix products took
/// 0.8–1.2 ms, most of it tanh and the momentum pass. The twins do the same IEEE operations lane by
/// lane, without fused multiply-adds, so every level returns the same bits (the tests compare them)
/// and a run's numbers do not depend on which one the CPU selects.
///
/// Chosen once per process: the widest level the CPU has (``CPUFeatures/vectorClass``), or the
/// one named by `CREDITKIT_VECTOR_KERNELS` (`auto`, `avx512`, `avx2`, `portable`), never wider
/// than the CPU's.
public enum VectorKernels {
    /// The level in use.
    public static let level: CPUFeatures.VectorClass = {
        let (request, cpu) = (ProcessInfo.processInfo.environment["CREDITKIT_VECTOR_KERNELS"], CPUFeatures.current().vectorClass)
        // An unknown request falls back to `auto` (`description` says so).
        return (try? select(request: request, available: cpu)) ?? (try? select(request: nil, available: cpu)) ?? .baseline
    }()

    /// What `credit info` shows: the level, and why if it is not the CPU's widest.
    public static var description: String {
        let cpu = CPUFeatures.current().vectorClass
        let request = ProcessInfo.processInfo.environment["CREDITKIT_VECTOR_KERNELS"]
        var text = level == .baseline ? "portable Swift (SIMD8)" : "\(level) (C twins of the Swift kernels)"
        do {
            _ = try select(request: request, available: cpu)
            if level < cpu { text += "; narrowed by CREDITKIT_VECTOR_KERNELS=\(request ?? "")" }
        } catch {
            text += "; \(error)"
        }
        return text
    }

    /// An unknown value of `CREDITKIT_VECTOR_KERNELS`.
    public struct UnknownLevel: Error, CustomStringConvertible {
        public let value: String
        public var description: String {
            "CREDITKIT_VECTOR_KERNELS=\(value) is not one of auto, avx512, avx2, portable; using the CPU's widest"
        }
    }

    /// The level for a request (nil or `auto`: `available`), capped at `available`.
    static func select(request: String?, available: CPUFeatures.VectorClass) throws -> CPUFeatures.VectorClass {
        let wanted: CPUFeatures.VectorClass
        switch request?.lowercased() {
        case nil, "", "auto": wanted = available
        case "avx512", "avx-512": wanted = .avx512
        case "avx2": wanted = .avx2
        case "portable", "none", "baseline": wanted = .baseline
        case let other?: throw UnknownLevel(value: other)
        }
        #if arch(x86_64)
        return min(wanted, available)
        #else
        return .baseline
        #endif
    }

    /// Runs `avx512` or `avx2` as `level` says and returns `true`; `false` at the portable level,
    /// whose Swift kernel the caller runs itself.
    @inline(__always)
    private static func run(at level: CPUFeatures.VectorClass, avx512: () -> Void, avx2: () -> Void) -> Bool {
        switch level {
        case .avx512: avx512()
        case .avx2: avx2()
        case .baseline: return false
        }
        return true
    }

    /// `y = tanh(x)` over `count` elements, as `run`.
    @inline(__always)
    static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, level: CPUFeatures.VectorClass = level) -> Bool {
        run(at: level, avx512: { ck_tanh_avx512(x, y, count) }, avx2: { ck_tanh_avx2(x, y, count) })
    }

    /// `y = σ(x)`, as `run`.
    @inline(__always)
    static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, level: CPUFeatures.VectorClass = level) -> Bool {
        run(at: level, avx512: { ck_sigmoid_avx512(x, y, count) }, avx2: { ck_sigmoid_avx2(x, y, count) })
    }

    /// `p += v`, then `v *= μ`, as `run`.
    @inline(__always)
    static func addVelocityAndDecay(_ p: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, momentum: Float, _ count: Int,
                                    level: CPUFeatures.VectorClass = level) -> Bool {
        run(at: level, avx512: { ck_add_velocity_and_decay_avx512(p, v, momentum, count) },
            avx2: { ck_add_velocity_and_decay_avx2(p, v, momentum, count) })
    }

    /// `g *= 1 − h²` (tanh) or `g *= h(1 − h)` (sigmoid), as `run`; other activations are left to Swift.
    @inline(__always)
    static func scaleBySlope(of activation: Activation, _ g: UnsafeMutablePointer<Float>, activity h: UnsafePointer<Float>, _ count: Int,
                             level: CPUFeatures.VectorClass = level) -> Bool {
        switch activation {
        case .tanh: run(at: level, avx512: { ck_scale_by_tanh_slope_avx512(g, h, count) }, avx2: { ck_scale_by_tanh_slope_avx2(g, h, count) })
        case .sigmoid:
            run(at: level, avx512: { ck_scale_by_sigmoid_slope_avx512(g, h, count) }, avx2: { ck_scale_by_sigmoid_slope_avx2(g, h, count) })
        default: false
        }
    }

    /// `sums[c] = scale · Σ_r x[r, c]`, the rows added in order, as `run`.
    @inline(__always)
    static func sumRows(_ x: UnsafePointer<Float>, rows: Int, columns: Int, scale: Float, into sums: UnsafeMutablePointer<Float>,
                        level: CPUFeatures.VectorClass = level) -> Bool {
        run(at: level, avx512: { ck_sum_rows_avx512(x, rows, columns, scale, sums) },
            avx2: { ck_sum_rows_avx2(x, rows, columns, scale, sums) })
    }

    /// `y = float(bytes) · scale`, then `· gain + offset` if `gain` is given, as `run`.
    @inline(__always)
    static func bytesToFloats(_ bytes: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>, _ count: Int, scale: Float,
                              gain: UnsafePointer<Float>?, offset: UnsafePointer<Float>?, level: CPUFeatures.VectorClass = level) -> Bool {
        run(at: level, avx512: { ck_bytes_to_floats_avx512(bytes, y, count, scale, gain, offset) },
            avx2: { ck_bytes_to_floats_avx2(bytes, y, count, scale, gain, offset) })
    }

    /// Adam's step over `count` parameters (`c1 = 1 − β₁`, `c2 = 1 − β₂` as the caller rounded them),
    /// as `run`.
    @inline(__always)
    static func adam(_ p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                     v: UnsafeMutablePointer<Float>, _ count: Int, b1: Float, c1: Float, b2: Float, c2: Float, stepSize: Float,
                     epsilon: Float, level: CPUFeatures.VectorClass = level) -> Bool {
        run(at: level, avx512: { ck_adam_avx512(p, g, m, v, count, b1, c1, b2, c2, stepSize, epsilon) },
            avx2: { ck_adam_avx2(p, g, m, v, count, b1, c1, b2, c2, stepSize, epsilon) })
    }

    /// NGRAD's change of activity `Δh` for a shift of the pre-activation (tanh and sigmoid), as `run`.
    @inline(__always)
    static func change(of activation: Activation, preActivation a: UnsafePointer<Float>, activity h: UnsafePointer<Float>,
                       shift: UnsafePointer<Float>, into change: UnsafeMutablePointer<Float>, _ count: Int,
                       level: CPUFeatures.VectorClass = level) -> Bool {
        switch activation {
        case .tanh: run(at: level, avx512: { ck_change_tanh_avx512(a, h, shift, change, count) },
                        avx2: { ck_change_tanh_avx2(a, h, shift, change, count) })
        case .sigmoid: run(at: level, avx512: { ck_change_sigmoid_avx512(a, h, shift, change, count) },
                           avx2: { ck_change_sigmoid_avx2(a, h, shift, change, count) })
        default: false
        }
    }
}
