#ifndef SANDRA_CCURL_H
#define SANDRA_CCURL_H

// curl_easy_setopt and curl_easy_getinfo are variadic, so Swift cannot call them. These
// wrappers fix the type of the value; each is a one-line call of the libcurl function.

#include <curl/curl.h>

/// curl_easy_setopt with a long value (CURLOPT_UPLOAD, CURLOPT_TIMEOUT_MS, CURLOPT_USE_SSL, …).
CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);

/// curl_easy_setopt with a C string value (CURLOPT_URL, CURLOPT_USERNAME, CURLOPT_MAIL_FROM, …);
/// libcurl copies the string.
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);

/// curl_easy_setopt with a string list (CURLOPT_MAIL_RCPT).
CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);

/// curl_easy_setopt with a data pointer (CURLOPT_READDATA, CURLOPT_ERRORBUFFER).
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);

/// The signature of CURLOPT_READFUNCTION.
typedef size_t (*ccurl_read_callback)(char *buffer, size_t size, size_t count, void *userdata);

/// curl_easy_setopt with a read callback (CURLOPT_READFUNCTION).
CURLcode ccurl_setopt_read_function(CURL *handle, ccurl_read_callback callback);

/// curl_easy_getinfo for a long (CURLINFO_RESPONSE_CODE).
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
