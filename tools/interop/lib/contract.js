'use strict';
// The contract as an installer in another language sees it: nothing but the
// .proto files of protos/ (plus Google's common protos vendored in
// third_party/googleapis), loaded at run time with @grpc/proto-loader. No
// generated code, no Python.

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const PROTO_ROOT = path.join(REPO_ROOT, 'protos');
const GOOGLEAPIS = path.join(REPO_ROOT, 'third_party', 'googleapis');
const INCLUDE_DIRS = [PROTO_ROOT, GOOGLEAPIS];
const PACKAGE_DIR = path.join('aspel', 'licensing', 'v1');
const ERROR_DOMAIN = 'licensing.aspel.com.mx';

// Every .proto of the package, so a new service (ActivationService, ...) is
// loaded as soon as its file exists.
function contractFiles() {
  return fs
    .readdirSync(path.join(PROTO_ROOT, PACKAGE_DIR))
    .filter((name) => name.endsWith('.proto'))
    .sort()
    .map((name) => path.posix.join('aspel', 'licensing', 'v1', name));
}

// The options an installer would use: field names as in the .proto, enums as
// their names, 64-bit integers as strings, defaults filled in.
const LOADER_OPTIONS = {
  includeDirs: INCLUDE_DIRS,
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cachedPackage;

// The `aspel.licensing.v1` package: its services are client constructors.
function licensingPackage() {
  if (!cachedPackage) {
    const definition = protoLoader.loadSync(contractFiles(), LOADER_OPTIONS);
    cachedPackage = grpc.loadPackageDefinition(definition).aspel.licensing.v1;
  }
  return cachedPackage;
}

// A client of `serviceName` (e.g. 'LicensingService') on a plaintext channel.
function newClient(serviceName, address) {
  const Service = licensingPackage()[serviceName];
  if (typeof Service !== 'function') {
    throw new Error(`no service ${serviceName} in protos/${PACKAGE_DIR}`);
  }
  return new Service(address, grpc.credentials.createInsecure());
}

// Calls a unary method and returns a promise of its response. `token` adds
// `authorization: Bearer <token>`; every call has a deadline, as it should.
function call(client, method, request, { token, deadlineSeconds = 30 } = {}) {
  const metadata = new grpc.Metadata();
  if (token) {
    metadata.set('authorization', `Bearer ${token}`);
  }
  const deadline = new Date(Date.now() + deadlineSeconds * 1000);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline }, (error, response) => {
      if (error) {
        reject(error);
      } else {
        resolve(response);
      }
    });
  });
}

let cachedStatusRoot;

// google.rpc.Status and its detail types, read from the vendored .proto files.
function statusRoot() {
  if (!cachedStatusRoot) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => {
      for (const dir of INCLUDE_DIRS) {
        const candidate = path.join(dir, target);
        if (fs.existsSync(candidate)) {
          return candidate;
        }
      }
      return target; // google/protobuf/*.proto: bundled with protobufjs.
    };
    root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], {
      keepCase: true,
    });
    cachedStatusRoot = root.resolveAll();
  }
  return cachedStatusRoot;
}

// The google.rpc.Status of a failed call, decoded from the binary trailer
// `grpc-status-details-bin`, with each detail unpacked:
// { code, message, details: [{ type: 'google.rpc.ErrorInfo', ... }, ...] }.
function richStatus(error) {
  const values = error.metadata ? error.metadata.get('grpc-status-details-bin') : [];
  if (values.length !== 1) {
    throw new Error(`expected one grpc-status-details-bin trailer, got ${values.length}`);
  }
  const root = statusRoot();
  const Status = root.lookupType('google.rpc.Status');
  const status = Status.decode(values[0]);
  const details = status.details.map((packed) => {
    const typeName = packed.type_url.slice(packed.type_url.lastIndexOf('/') + 1);
    const Type = root.lookupType(typeName);
    const fields = Type.toObject(Type.decode(packed.value), { defaults: true, enums: String });
    return { type: typeName, ...fields };
  });
  return { code: status.code, message: status.message, details };
}

// The one ErrorInfo of a failed call (the stable reason a program acts on).
function errorInfo(error) {
  const infos = richStatus(error).details.filter((d) => d.type === 'google.rpc.ErrorInfo');
  if (infos.length !== 1) {
    throw new Error(`expected one ErrorInfo, got ${infos.length}`);
  }
  return infos[0];
}

module.exports = {
  ERROR_DOMAIN,
  REPO_ROOT,
  call,
  contractFiles,
  errorInfo,
  grpc,
  licensingPackage,
  newClient,
  richStatus,
};
