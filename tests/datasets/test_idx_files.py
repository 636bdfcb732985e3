"""Tests of the IDX (MNIST-format) reader, on files written here."""
import gzip
import struct

import numpy as np
import pytest

from mmhkd.datasets.idx_files import (DataFileError, parse_idx_bytes,
                                      read_idx_file, resolve_idx_path)

INSTALL_HINT = 'apt-get install -y dataset-fashion-mnist'


def idx_bytes(array, type_code=0x08):
    """The IDX format: 0, 0, type, ndim, big-endian int32 dims, data."""
    header = bytes([0, 0, type_code, array.ndim])
    header += b''.join(struct.pack('>I', d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def images():
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, size=(3, 4, 5)).astype(np.uint8)


def test_header_layout_written_here(images):
    raw = idx_bytes(images)
    assert raw[:4] == b'\x00\x00\x08\x03'
    assert raw[4:8] == b'\x00\x00\x00\x03'
    assert len(raw) == 4 + 12 + 60


def test_plain_file(tmp_path, images):
    path = tmp_path / 'imgs-idx3-ubyte'
    path.write_bytes(idx_bytes(images))
    out = read_idx_file(str(path))
    assert out.dtype == np.uint8 and out.shape == (3, 4, 5)
    np.testing.assert_array_equal(out, images)


def test_gzip_file(tmp_path, images):
    path = tmp_path / 'imgs-idx3-ubyte.gz'
    with gzip.open(path, 'wb') as f:
        f.write(idx_bytes(images))
    np.testing.assert_array_equal(read_idx_file(str(path)), images)


def test_labels_1d(tmp_path):
    labels = np.array([9, 0, 3, 3, 7], dtype=np.uint8)
    path = tmp_path / 'labels-idx1-ubyte'
    path.write_bytes(idx_bytes(labels))
    out = read_idx_file(str(path))
    assert out.shape == (5, )
    np.testing.assert_array_equal(out, labels)


def test_large_dimension_is_big_endian(tmp_path):
    labels = (np.arange(300) % 256).astype(np.uint8)
    path = tmp_path / 'long'
    path.write_bytes(idx_bytes(labels))
    assert path.read_bytes()[4:8] == b'\x00\x00\x01\x2c'
    assert read_idx_file(str(path)).shape == (300, )


def test_gz_name_falls_back_to_plain_file(tmp_path, images):
    plain = tmp_path / 'data'
    plain.write_bytes(idx_bytes(images))
    assert resolve_idx_path(str(plain) + '.gz') == str(plain)
    np.testing.assert_array_equal(read_idx_file(str(plain) + '.gz'), images)


def test_plain_name_falls_back_to_gz_file(tmp_path, images):
    gz = tmp_path / 'data.gz'
    with gzip.open(gz, 'wb') as f:
        f.write(idx_bytes(images))
    assert resolve_idx_path(str(tmp_path / 'data')) == str(gz)
    np.testing.assert_array_equal(read_idx_file(str(tmp_path / 'data')),
                                  images)


def test_exact_name_is_preferred(tmp_path, images):
    (tmp_path / 'data').write_bytes(idx_bytes(images))
    with gzip.open(tmp_path / 'data.gz', 'wb') as f:
        f.write(idx_bytes(images[:1]))
    assert read_idx_file(str(tmp_path / 'data')).shape == (3, 4, 5)
    assert read_idx_file(str(tmp_path / 'data.gz')).shape == (1, 4, 5)


def test_missing_file(tmp_path):
    path = str(tmp_path / 'nowhere' / 'train-images-idx3-ubyte.gz')
    with pytest.raises(DataFileError) as error:
        read_idx_file(path)
    message = str(error.value)
    assert message.startswith(f'Data file not found: {path}')
    assert INSTALL_HINT in message
    assert isinstance(error.value, RuntimeError)


@pytest.mark.parametrize('prefix', [
    b'\x00\x00\x0d\x01',  # float IDX
    b'\x01\x00\x08\x01',  # not starting with two zero bytes
    b'\x1f\x8b\x08\x00',  # gzip bytes read as a plain file
    b'\x00\x00',  # shorter than the magic number
])
def test_wrong_magic(tmp_path, prefix):
    path = tmp_path / 'bad'
    path.write_bytes(prefix + b'\x00\x00\x00\x01\x05')
    with pytest.raises(DataFileError) as error:
        read_idx_file(str(path))
    message = str(error.value)
    assert message.startswith(f'{path} is not an unsigned-byte IDX file '
                              '(bad magic number)')
    assert INSTALL_HINT in message


def test_truncated_header(tmp_path):
    path = tmp_path / 'short-header'
    path.write_bytes(b'\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00')
    with pytest.raises(DataFileError,
                       match=f'{path} is truncated inside its header'):
        read_idx_file(str(path))


def test_truncated_data(tmp_path, images):
    path = tmp_path / 'truncated'
    path.write_bytes(idx_bytes(images)[:-7])
    with pytest.raises(DataFileError) as error:
        read_idx_file(str(path))
    message = str(error.value)
    assert (f'{path} holds 53 bytes of data but its header announces shape '
            '(3, 4, 5) (60 bytes)') in message
    assert 'truncated or corrupt' in message


def test_trailing_data_is_refused(tmp_path, images):
    path = tmp_path / 'long'
    path.write_bytes(idx_bytes(images) + b'\x00')
    with pytest.raises(DataFileError, match='holds 61 bytes of data'):
        read_idx_file(str(path))


def test_corrupt_gzip(tmp_path):
    path = tmp_path / 'corrupt.gz'
    path.write_bytes(b'this is not a gzip stream at all')
    with pytest.raises(DataFileError) as error:
        read_idx_file(str(path))
    message = str(error.value)
    assert message.startswith(f'Cannot read {path}: ')
    assert 'The file is corrupt; reinstall it.' in message
    assert INSTALL_HINT in message
    assert isinstance(error.value.__cause__, OSError)


def test_truncated_gzip_stream(tmp_path, images):
    path = tmp_path / 'cut.gz'
    path.write_bytes(gzip.compress(idx_bytes(images))[:-12])
    with pytest.raises(DataFileError, match=f'Cannot read {path}'):
        read_idx_file(str(path))


def test_parse_idx_bytes_names_given_path(images):
    out = parse_idx_bytes(idx_bytes(images), 'virtual')
    np.testing.assert_array_equal(out, images)
    with pytest.raises(DataFileError, match='^virtual is not'):
        parse_idx_bytes(b'\x00\x00\x09\x01', 'virtual')
