import CreditKit
import Foundation

/// Tells the user when their BLAS runs narrower kernels than the CPU has (OpenBLAS pinned by
/// `OPENBLAS_CORETYPE=Haswell` on an AVX-512 machine): which, by how much — measured here and in a
/// child process with the better core type — and how to change it.
enum HeldBackBLAS {
    /// The lines to print, empty when the BLAS uses what the CPU has.
    static func report(_ backend: LinearAlgebraBackend) -> [String] {
        guard let (core, better) = backend.heldBack else { return [] }
        let pinned = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        var lines = ["warning: OpenBLAS runs \(core) kernels on a CPU with \(CPUFeatures.current().vectorClass)"
                     + (pinned.map { " because OPENBLAS_CORETYPE=\($0) is set" } ?? "")]
        let here = backend.measuredGEMMRate()
        if let there = rate(withCoreType: better) {
            lines.append(String(format: "         measured on 128×800×800 sgemm: %.0f GFLOP/s now, %.0f GFLOP/s with %@ kernels (%.2f× faster)",
                                here, there, better, there / here))
        } else {
            lines.append(String(format: "         measured on 128×800×800 sgemm: %.0f GFLOP/s now", here))
        }
        lines.append("         to use them: " + (pinned != nil ? "unset OPENBLAS_CORETYPE, or export OPENBLAS_CORETYPE=\(better)"
                                                         : "export OPENBLAS_CORETYPE=\(better)"))
        return lines
    }

    /// The GEMM rate of this executable run with `OPENBLAS_CORETYPE=core` (`credit info --gemm-rate`).
    private static func rate(withCoreType core: String) -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Console.executable)
        process.arguments = ["info", "--gemm-rate"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = core
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }
}
