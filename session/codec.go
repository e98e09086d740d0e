// This file holds the compact binary encoding stores use for Record.Values.

package session

import (
	"encoding/binary"
	"errors"
)

// ErrCorrupt reports stored session data that cannot be decoded. Stores
// treat such a session as absent (found=false) and log it.
var ErrCorrupt = errors.New("session: corrupt stored data")

const codecVersion = 1

// maxDecodedValues bounds the number of keys DecodeValues accepts, so a
// corrupt or hostile blob cannot make it allocate without limit.
const maxDecodedValues = 1 << 16

// EncodeValues encodes a session's values for storage. The encoding is
// deterministic (the same map gives the same bytes only up to key order;
// stores must not compare encodings). A nil or empty map encodes to a
// short, valid blob.
func EncodeValues(values map[string][]byte) []byte {
	n := 1 + binary.MaxVarintLen64
	for k, v := range values {
		n += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, codecVersion)
	buf = binary.AppendUvarint(buf, uint64(len(values)))
	for k, v := range values {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	return buf
}

// DecodeValues decodes what EncodeValues produced. It returns an error
// wrapping ErrCorrupt for any malformed input and never panics.
func DecodeValues(data []byte) (map[string][]byte, error) {
	if len(data) == 0 || data[0] != codecVersion {
		return nil, ErrCorrupt
	}
	data = data[1:]
	count, n := binary.Uvarint(data)
	if n <= 0 || count > maxDecodedValues || count > uint64(len(data)) {
		return nil, ErrCorrupt
	}
	data = data[n:]
	values := make(map[string][]byte, count)
	for i := uint64(0); i < count; i++ {
		var k, v []byte
		var ok bool
		if k, data, ok = readChunk(data); !ok {
			return nil, ErrCorrupt
		}
		if v, data, ok = readChunk(data); !ok {
			return nil, ErrCorrupt
		}
		values[string(k)] = append([]byte(nil), v...)
	}
	if len(data) != 0 {
		return nil, ErrCorrupt
	}
	return values, nil
}

func readChunk(data []byte) (chunk, rest []byte, ok bool) {
	l, n := binary.Uvarint(data)
	if n <= 0 || l > uint64(len(data)-n) {
		return nil, nil, false
	}
	data = data[n:]
	return data[:l], data[l:], true
}
