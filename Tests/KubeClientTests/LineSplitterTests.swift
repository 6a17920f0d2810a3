import Foundation
import Testing

@testable import KubeClient

@Suite struct LineSplitterTests {
    @Test func linesCutAnywhereAreReassembled() throws {
        var splitter = LineSplitter(maxLineBytes: 100)
        var lines: [String] = []
        for chunk in ["{\"a\":", "1}\n{\"b\"", ":2}\r\n\n", "{\"c\":3}\n{\"d\""] {
            lines += try splitter.append(Data(chunk.utf8)).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(lines == [#"{"a":1}"#, #"{"b":2}"#, #"{"c":3}"#])
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == #"{"d""#)
        #expect(splitter.finish() == nil)
    }

    @Test func manyLinesInOneChunk() throws {
        var splitter = LineSplitter(maxLineBytes: 10)
        let lines = try splitter.append(Data("1\n22\n333\n".utf8))
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["1", "22", "333"])
    }

    @Test func aLineOverTheBoundIsAnError() throws {
        var splitter = LineSplitter(maxLineBytes: 8)
        _ = try splitter.append(Data("12345".utf8))
        #expect(throws: LineSplitter.LineTooLong.self) { try splitter.append(Data("6789".utf8)) }
        var complete = LineSplitter(maxLineBytes: 4)
        #expect(throws: LineSplitter.LineTooLong.self) { try complete.append(Data("123456\n".utf8)) }
    }

    @Test func aCRLFCutBetweenChunksEndsTheLineAtTheBound() throws {
        var splitter = LineSplitter(maxLineBytes: 4)
        #expect(try splitter.append(Data("abcd\r".utf8)).isEmpty)
        let lines = try splitter.append(Data("\nef\n\r\n".utf8))
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["abcd", "ef"])
        #expect(splitter.finish() == nil)
    }
}
