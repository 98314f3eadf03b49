import Foundation

/// What the processor can do, as far as choosing GEMM kernels is concerned.
public struct CPUFeatures: Sendable, Equatable {
    /// The widest vector instruction class the CPU and the operating system support.
    public enum VectorClass: Int, Sendable, Comparable, CustomStringConvertible {
        case baseline = 0, avx2 = 1, avx512 = 2
        public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
        public var description: String {
            switch self {
            case .baseline: "SSE/baseline"
            case .avx2: "AVX2+FMA"
            case .avx512: "AVX-512"
            }
        }
    }

    /// The CPU's vendor string (`GenuineIntel`, `AuthenticAMD`).
    public var vendor: String
    /// The model name the kernel reports.
    public var modelName: String
    /// The instruction-set flags of `/proc/cpuinfo` (`avx2`, `avx512f`, …).
    public var flags: Set<String>

    /// The widest vector instructions the CPU has.
    public var vectorClass: VectorClass {
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return .avx512 }
        if flags.contains("avx2") && flags.contains("fma") { return .avx2 }
        return .baseline
    }

    /// Reads `/proc/cpuinfo` (Linux). Elsewhere, or if it cannot be read, the features are empty,
    /// which makes every core-type correction a no-op.
    public static func current() -> CPUFeatures {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
            return CPUFeatures(vendor: "", modelName: "", flags: [])
        }
        return parse(cpuinfo: text)
    }

    static func parse(cpuinfo: String) -> CPUFeatures {
        var features = CPUFeatures(vendor: "", modelName: "", flags: [])
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            switch key {
            case "vendor_id" where features.vendor.isEmpty: features.vendor = value
            case "model name" where features.modelName.isEmpty: features.modelName = value
            case "flags" where features.flags.isEmpty: features.flags = Set(value.split(separator: " ").map(String.init))
            default: break
            }
            if !features.flags.isEmpty && !features.modelName.isEmpty && !features.vendor.isEmpty { break }
        }
        return features
    }
}

/// OpenBLAS's run-time CPU detection (`DYNAMIC_ARCH` builds) and how to overrule it.
///
/// Debian's OpenBLAS 0.3.21 misdetects some virtualized AVX-512 Xeons as "Prescott" and then runs
/// `sgemm` at a sixth of the speed it reaches with `OPENBLAS_CORETYPE=SkylakeX`. The library
/// reads that variable once, when it is loaded, so the loader compares the core OpenBLAS reports
/// with what the CPU supports and, when the report is weaker, reloads the library with the
/// variable set.
public enum OpenBLASCoreType {
    /// The vector class OpenBLAS's kernels for a core name use.
    static func vectorClass(ofCore name: String) -> CPUFeatures.VectorClass {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids", "zen4": .avx512
        case "haswell", "zen", "skylake", "excavator", "alderlake": .avx2
        default: .baseline
        }
    }

    /// The core type to force, or `nil` when OpenBLAS's own choice uses everything the CPU has.
    public static func correction(reportedCore: String, cpu: CPUFeatures) -> String? {
        let available = cpu.vectorClass
        guard vectorClass(ofCore: reportedCore) < available else { return nil }
        switch available {
        case .avx512: return "SkylakeX"
        case .avx2: return cpu.vendor == "AuthenticAMD" ? "Zen" : "Haswell"
        case .baseline: return nil
        }
    }
}

extension LinearAlgebraBackend {
    /// When the BLAS runs kernels narrower than the CPU supports (OpenBLAS pinned by
    /// `OPENBLAS_CORETYPE=Haswell` on an AVX-512 CPU): the core it uses and the one it should.
    public var heldBack: (core: String, better: String)? {
        guard let coreType, let better = OpenBLASCoreType.correction(reportedCore: coreType, cpu: CPUFeatures.current()) else { return nil }
        return (coreType, better)
    }

    /// Which kernel computes this backend's products: the BLAS and the core type it chose, or
    /// the portable kernel.
    public var kernelDescription: String {
        isPortable ? "portable SIMD8 kernel" : "\(name) sgemm" + (coreType.map { " (\($0) kernels)" } ?? "")
    }

    /// The GFLOP/s of `C (m×n) = A (m×k) · Bᵀ` on this backend: the median of 5 timings of enough
    /// products to take about 50 ms each (the shape of 784-800-800-10's forward pass at batch 128
    /// by default).
    public func measuredGEMMRate(m: Int = 128, n: Int = 800, k: Int = 800) -> Double {
        var random = RandomSource(seed: 3)
        let a = Matrix(rows: m, columns: k) { _, _ in random.uniform(-1, 1) }, b = Matrix(rows: n, columns: k) { _, _ in random.uniform(-1, 1) }
        var c = Matrix(rows: m, columns: n)
        let flops = 2 * Double(m) * Double(n) * Double(k)
        func time(_ count: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<count { gemm(a, .none, b, .transposed, into: &c) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let once = max(time(3) / 3, 1e-6)
        let count = max(1, Int(0.05 / once))
        let rates = (0..<5).map { _ in flops * Double(count) / time(count) / 1e9 }.sorted()
        return rates[2]
    }
}
