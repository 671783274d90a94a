import ChannelKit
import HTTPTypes
import MetaPlatform
import Testing

@Suite("Graph API errors")
struct GraphAPIErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var status: Int
        var body: String
        var headers: HTTPFields = [:]
        var code: ChannelError.Code
        var platformCode: Int?
        var subcode: Int?
        var retryAfter: Duration?
        var testDescription: String { label }
    }

    static func graph(_ code: Int, _ subcode: Int? = nil, transient: Bool? = nil, message: String = "An error occurred") -> String {
        var error = #""message":"\#(message)","type":"OAuthException","code":\#(code)"#
        if let subcode { error += #","error_subcode":\#(subcode)"# }
        if let transient { error += #","is_transient":\#(transient)"# }
        error += #","fbtrace_id":"BLBz\/WZt8dN""#
        return #"{"error":{\#(error)}}"#
    }

    static let cases: [Case] = [
        Case(label: "190 invalid token", status: 401, body: graph(190, 463), code: .unauthorized, platformCode: 190, subcode: 463),
        Case(label: "190 in a 400", status: 400, body: graph(190), code: .unauthorized, platformCode: 190),
        Case(label: "102 session", status: 400, body: graph(102), code: .unauthorized, platformCode: 102),
        Case(label: "1 unknown", status: 500, body: graph(1), code: .transient, platformCode: 1),
        Case(label: "2 service", status: 503, body: graph(2), code: .transient, platformCode: 2),
        Case(label: "4 app limit", status: 400, body: graph(4), code: .transient, platformCode: 4),
        Case(label: "17 user limit", status: 400, body: graph(17), code: .transient, platformCode: 17),
        Case(label: "32 page limit", status: 400, body: graph(32), code: .transient, platformCode: 32),
        Case(label: "613 rate limit", status: 400, body: graph(613, 2534040), code: .transient, platformCode: 613, subcode: 2534040),
        Case(label: "613 with Retry-After", status: 429, body: graph(613), headers: [.retryAfter: "30"], code: .transient, platformCode: 613, retryAfter: .seconds(30)),
        Case(label: "is_transient true", status: 400, body: graph(9999, transient: true), code: .transient, platformCode: 9999),
        Case(label: "10 outside window", status: 400, body: graph(10, 2534022, message: "This message is sent outside of allowed window."), code: .permanent, platformCode: 10, subcode: 2534022),
        Case(label: "10 cannot receive", status: 400, body: graph(10, 2018108), code: .permanent, platformCode: 10, subcode: 2018108),
        Case(label: "551 unavailable", status: 400, body: graph(551, 1545041), code: .permanent, platformCode: 551, subcode: 1545041),
        Case(label: "200 unavailable", status: 403, body: graph(200, 1545041), code: .permanent, platformCode: 200, subcode: 1545041),
        Case(label: "100 bad parameter", status: 400, body: graph(100, 2018001), code: .permanent, platformCode: 100, subcode: 2018001),
        Case(label: "100 even with a 500", status: 500, body: graph(100), code: .permanent, platformCode: 100),
        Case(label: "unknown code 4xx", status: 400, body: graph(36103), code: .permanent, platformCode: 36103),
        Case(label: "unknown code 5xx", status: 502, body: graph(12345), code: .transient, platformCode: 12345),
        Case(label: "500 html", status: 500, body: "<html>oops</html>", code: .transient),
        Case(label: "503 with Retry-After", status: 503, body: "", headers: [.retryAfter: "120"], code: .transient, retryAfter: .seconds(120)),
        Case(label: "429 no body", status: 429, body: "", code: .transient),
        Case(label: "429 with an HTTP-date Retry-After", status: 429, body: "", headers: [.retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"], code: .transient),
        Case(label: "404 no body", status: 404, body: "", code: .permanent),
        Case(label: "400 not JSON", status: 400, body: "bad request", code: .permanent),
        Case(label: "401 no body", status: 401, body: "", code: .unauthorized),
        Case(label: "error not an object", status: 400, body: #"{"error":"nope"}"#, code: .permanent),
    ]

    @Test(arguments: cases)
    func classification(_ testCase: Case) {
        let error = GraphAPIError.classify(status: HTTPResponse.Status(code: testCase.status), headers: testCase.headers, body: Array(testCase.body.utf8))
        #expect(error.code == testCase.code)
        #expect(error.platformCode == testCase.platformCode)
        #expect(error.platformSubcode == testCase.subcode)
        #expect(error.retryAfter == testCase.retryAfter)
    }

    @Test("a refusal of the message itself is told apart: code 100 bare or with a content subcode, WhatsApp 131008/131009")
    func invalidParameter() {
        func classified(_ status: Int, _ body: String) -> ChannelError {
            GraphAPIError.classify(status: HTTPResponse.Status(code: status), headers: [:], body: Array(body.utf8))
        }
        // WhatsApp's answer to a text over 4096, as the Cloud API writes it.
        let tooLong = #"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"error_data":{"messaging_product":"whatsapp","details":"Param text['body'] must be at most 4096 characters long."},"fbtrace_id":"AbCdEf"}}"#
        #expect(classified(400, tooLong).code == .permanent)
        #expect(classified(400, tooLong).isInvalidParameter)
        #expect(classified(400, Self.graph(100, 2534015)).isInvalidParameter, "invalid message data")
        #expect(classified(400, Self.graph(131008)).isInvalidParameter && classified(400, Self.graph(131009)).isInvalidParameter)
        #expect(classified(400, Self.graph(131009)).code == .permanent)
        // Code 100 about the recipient or an object, and the other permanent codes, are not.
        #expect(!classified(400, Self.graph(100, 2018001)).isInvalidParameter, "no matching user")
        #expect(!classified(400, Self.graph(100, 33)).isInvalidParameter, "no such object")
        #expect(!classified(400, Self.graph(10, 2534022)).isInvalidParameter)
        #expect(!classified(400, Self.graph(551)).isInvalidParameter)
        #expect(!classified(400, "bad request").isInvalidParameter)
        #expect(classified(503, Self.graph(131009)).isInvalidParameter, "131009 never passes by retrying, whatever the status")
    }

    @Test func parsesEveryField() throws {
        let body = #"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"error_subcode":1234567,"fbtrace_id":"BLBz\/WZt8dN","is_transient":false}}"#
        let error = try #require(GraphAPIError.parse(Array(body.utf8)))
        #expect(error == GraphAPIError(message: "Invalid OAuth access token.", type: "OAuthException", code: 190, subcode: 1234567, fbtraceID: "BLBz/WZt8dN", isTransient: false))
        #expect(GraphAPIError.parse(Array("[]".utf8)) == nil)
        #expect(GraphAPIError.parse([]) == nil)
    }

    @Test func accessTokenIsRedactedFromMessages() {
        let token = "EAAsecrettoken987"
        let body = Self.graph(190, message: "Malformed access token \(token)")
        let error = GraphAPIError.classify(status: .unauthorized, headers: [:], body: Array(body.utf8), redacting: [token])
        #expect(!error.message.contains(token))
        #expect(!error.description.contains(token))
        #expect(error.message.contains("[redacted]"))
    }

    @Test(arguments: [
        (HTTPTransportError(.timeout, "15 s"), ChannelError.Code.transient),
        (HTTPTransportError(.connectionFailed, "refused"), .transient),
        (HTTPTransportError(.invalidURL, "x"), .misconfigured),
        (HTTPTransportError(.responseTooLarge, "x"), .permanent),
    ])
    func transportFailures(_ failure: HTTPTransportError, _ code: ChannelError.Code) {
        let mapped = GraphAPIError.classify(transportError: failure)
        #expect((mapped as? ChannelError)?.code == code)
    }

    @Test func cancellationPassesThrough() {
        #expect(GraphAPIError.classify(transportError: CancellationError()) is CancellationError)
    }
}
