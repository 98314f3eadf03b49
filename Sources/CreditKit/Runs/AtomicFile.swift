import Foundation

/// Writes files so that a reader sees either the old contents or the new, never a mix: the data
/// goes to a temporary file in the same folder, which is then renamed over the target.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, then renames it over `path`.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "rename failed: \(reason)"])
        }
    }

    /// Writes `text` as UTF-8, atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
