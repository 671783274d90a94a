// The HTTP vocabulary every channel speaks, re-exported so channels need not import HTTPTypes
// themselves (the same idea as Hummingbird's Exports.swift).
@_exported @_documentation(visibility: internal) import struct HTTPTypes.HTTPField
@_exported @_documentation(visibility: internal) import struct HTTPTypes.HTTPFields
@_exported @_documentation(visibility: internal) import struct HTTPTypes.HTTPRequest
@_exported @_documentation(visibility: internal) import struct HTTPTypes.HTTPResponse
