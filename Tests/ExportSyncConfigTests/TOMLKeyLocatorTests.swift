@testable import ExportSyncConfig
import Testing

@Suite("TOML key positions")
struct TOMLKeyLocatorTests {
    @Test("multi-line strings, arrays, inline tables and quoted keys do not shift positions")
    func trickyDocument() {
        let text = """
            title = \"\"\"
            [not.a.table]
            key = "not a key"
            \"\"\"
            list = [
              "a", # comment with = and [brackets]
              { name = "x", deep = { leaf = 1 } },
            ]
            "quoted key" = 'it''s'
            [[jobs]]
            name = "first"
            [[jobs]]
            name = "second"
            [jobs.options]
            flag = true
            a.b.c = 3
            """
        let locator = TOMLKeyLocator(text: text)
        #expect(locator.position(of: "title") == .init(line: 1, column: 1))
        #expect(locator.positions["not.a.table"] == nil)
        #expect(locator.positions["key"] == nil)
        #expect(locator.position(of: "list") == .init(line: 5, column: 1))
        #expect(locator.position(of: "list[1].name") == .init(line: 7, column: 5))
        #expect(locator.position(of: "list[1].deep.leaf") == .init(line: 7, column: 26))
        #expect(locator.position(of: "quoted key") == .init(line: 9, column: 1))
        #expect(locator.position(of: "jobs[0]") == .init(line: 10, column: 1))
        #expect(locator.position(of: "jobs[1].name") == .init(line: 13, column: 1))
        #expect(locator.position(of: "jobs[1].options.flag") == .init(line: 15, column: 1))
        #expect(locator.position(of: "jobs[1].options.a.b.c") == .init(line: 16, column: 1))
        // Unknown paths fall back to the nearest written ancestor.
        #expect(locator.position(of: "jobs[1].options.missing") == .init(line: 14, column: 1))
    }
}
