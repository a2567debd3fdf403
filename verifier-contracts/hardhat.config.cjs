// Hardhat 2 config for zkai's contracts. CommonJS (.cjs) because the repo's package.json says "type": "module".
// Run from the repo root: npx hardhat --config verifier-contracts/hardhat.config.cjs compile
const path = require('node:path');
const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');

const SOLC_VERSION = '0.8.28';

// Hardhat would download solc from binaries.soliditylang.org; this machine (and CI) is offline, so hand it the
// solcjs build that ships with the npm `solc` package, which is pinned to the same version as the contracts' pragma.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async ({ solcVersion }, _hre, runSuper) => {
  if (solcVersion !== SOLC_VERSION) return runSuper();
  return {
    version: SOLC_VERSION,
    longVersion: require('solc').version(),
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true,
  };
});

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 } },
  },
  paths: {
    root: __dirname,
    sources: path.join(__dirname, 'contracts'),
    artifacts: path.join(__dirname, 'artifacts'),
    cache: path.join(__dirname, 'cache'),
    tests: path.join(__dirname, 'test'),
  },
  networks: {
    // A persistent dev chain (verifier-contracts/chain-journal.ts) replays its journal on a chain that starts at the
    // journal's genesis time, so every replayed block can keep its recorded timestamp.
    hardhat: {
      chainId: 31337,
      ...(process.env.HARDHAT_ZKAI_INITIAL_DATE ? { initialDate: process.env.HARDHAT_ZKAI_INITIAL_DATE } : {}),
    },
    localhost: { url: `http://127.0.0.1:${process.env.ZKAI_CHAIN_PORT ?? '8545'}`, chainId: 31337 },
  },
};
