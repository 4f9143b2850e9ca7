#!/usr/bin/env node
// A `solc`-compatible command built on solc-js (the official compiler compiled to
// WebAssembly, from npm). It implements the subset of the native CLI that the build
// tools call:
//   solc --version
//   solc --standard-json [--base-path DIR] [--include-path DIR]... [--allow-paths A,B]  (stdin -> stdout)
//   solc [remapping=target]... FILE.sol... --combined-json KEYS [--allow-paths ...]      (crytic-compile)
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

function parseArgs(argv) {
  const opts = { basePath: null, includePaths: [], remappings: [], files: [], combined: null,
                 standardJson: false, version: false, optimize: false, optimizeRuns: null,
                 evmVersion: null, viaIr: false };
  const takesValue = new Set(['--base-path', '--include-path', '--allow-paths', '--combined-json',
                              '--optimize-runs', '--evm-version', '-o', '--output-dir']);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value = null;
    if (arg.startsWith('--') && arg.includes('=')) {
      [arg, value] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
    } else if (takesValue.has(arg)) {
      value = argv[++i];
    }
    switch (arg) {
      case '--version': opts.version = true; break;
      case '--standard-json': opts.standardJson = true; break;
      case '--base-path': opts.basePath = value; break;
      case '--include-path': opts.includePaths.push(value); break;
      case '--combined-json': opts.combined = value.split(','); break;
      case '--optimize': opts.optimize = true; break;
      case '--optimize-runs': opts.optimizeRuns = parseInt(value, 10); break;
      case '--evm-version': opts.evmVersion = value; break;
      case '--via-ir': opts.viaIr = true; break;
      case '--allow-paths': case '-o': case '--output-dir': break;  // reads are resolved below
      default:
        if (arg.startsWith('-')) break;  // flags without effect on the JSON interface
        if (arg.includes('=') && !arg.endsWith('.sol')) opts.remappings.push(arg);
        else opts.files.push(arg);
    }
  }
  return opts;
}

function makeImportCallback(opts) {
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths, process.cwd()];
  return function findImport(importPath) {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

// Exit only once stdout has drained: exiting right after a large write to a pipe truncates it.
function writeAndExit(text, code) {
  process.stdout.write(text, () => process.exit(code));
}

function standardJson(opts) {
  const input = fs.readFileSync(0, 'utf8');
  writeAndExit(solc.compile(input, { import: makeImportCallback(opts) }), 0);
}

function combinedJson(opts) {
  const sources = {};
  for (const file of opts.files) sources[file] = { content: fs.readFileSync(file, 'utf8') };
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      remappings: opts.remappings,
      optimizer: { enabled: opts.optimize, runs: opts.optimizeRuns || 200 },
      viaIR: opts.viaIr,
      outputSelection: {
        '*': {
          '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.sourceMap', 'evm.deployedBytecode.object',
                'evm.deployedBytecode.sourceMap', 'evm.methodIdentifiers', 'userdoc', 'devdoc', 'metadata'],
          '': ['ast'],
        },
      },
    },
  };
  if (opts.evmVersion) input.settings.evmVersion = opts.evmVersion;
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: makeImportCallback(opts) }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) process.stderr.write(e.formattedMessage || e.message);
  if (errors.length) process.exit(1);

  const contracts = {};
  for (const [file, byName] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(byName)) {
      contracts[`${file}:${name}`] = {
        abi: c.abi,
        bin: c.evm.bytecode.object,
        'bin-runtime': c.evm.deployedBytecode.object,
        srcmap: c.evm.bytecode.sourceMap,
        'srcmap-runtime': c.evm.deployedBytecode.sourceMap,
        hashes: c.evm.methodIdentifiers,
        userdoc: c.userdoc,
        devdoc: c.devdoc,
        metadata: c.metadata,
      };
    }
  }
  const sourceList = Object.keys(output.sources || {});
  const outSources = {};
  for (const [file, s] of Object.entries(output.sources || {})) outSources[file] = { AST: s.ast, id: s.id };
  writeAndExit(JSON.stringify({ contracts, sourceList, sources: outSources, version: solc.version() }), 0);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    writeAndExit(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`, 0);
  } else if (opts.standardJson) {
    standardJson(opts);
  } else if (opts.combined && opts.files.length) {
    combinedJson(opts);
  } else {
    process.stderr.write('usage: solc --version | --standard-json | FILE.sol --combined-json KEYS\n');
    process.exit(2);
  }
}

main();
