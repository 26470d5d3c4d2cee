import Glibc

/// A pipe whose write end stands in for stderr.
final class Pipe {
    let readDescriptor: Int32
    let writeDescriptor: Int32

    init() throws {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw ListenerError.systemCall("pipe", errno) }
        self.readDescriptor = descriptors[0]
        self.writeDescriptor = descriptors[1]
        // Non-blocking reads: "nothing written" must not hang the test.
        _ = fcntl(self.readDescriptor, F_SETFL, fcntl(self.readDescriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(self.readDescriptor)
        close(self.writeDescriptor)
    }

    /// Everything written so far.
    func readAvailable() -> String {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(self.readDescriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            result.append(contentsOf: chunk.prefix(count))
        }
        return String(decoding: result, as: UTF8.self)
    }
}
