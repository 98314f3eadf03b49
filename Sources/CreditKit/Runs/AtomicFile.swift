import Foundation

/// Writes files so that a reader sees either the old contents or the new, never a mix, even after
/// a power cut: the data goes to a temporary file in the same folder, which is flushed to disk,
/// renamed over the target, and the folder is flushed so that the rename itself is durable.
public enum AtomicFile {
    /// The prefix and suffix of the temporary files (`.<name>.<pid>.tmp`), which a killed writer
    /// leaves behind and ``RunDirectory`` removes on its next start.
    static let temporaryPrefix = ".", temporarySuffix = ".tmp"

    /// Writes `data` to a temporary file beside `path`, flushes it, then renames it over `path`.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/" + temporaryPrefix + url.lastPathComponent + ".\(ProcessInfo.processInfo.processIdentifier)" + temporarySuffix
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(path, "cannot create \(temporary)") }
        var written = 0
        let complete = data.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let n = Foundation.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return fsync(descriptor) == 0
        }
        let reason = complete ? "" : String(cString: strerror(errno))
        close(descriptor)
        guard complete else {
            unlink(temporary)
            throw failure(path, reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw failure(path, "rename failed: \(reason)")
        }
        syncDirectory(folder)
    }

    /// Writes `text` as UTF-8, atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Flushes a folder's entries (a rename into it) to disk.
    static func syncDirectory(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ path: String, _ reason: String) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: reason])
    }
}
