import fs from "fs";
import * as btcstakingtx from "@babylonlabs-io/babylon-proto-ts/dist/generated/babylon/btcstaking/v1/tx.js";
const h = (x) => Uint8Array.from(Buffer.from(x, "hex"));
const hex = (u) => Buffer.from(u).toString("hex");
const doc = JSON.parse(fs.readFileSync("ours.json"));
const out = { create: [], add_proof: null };
for (const m of doc.create) {
  const f = m.fields;
  const msg = btcstakingtx.MsgCreateBTCDelegation.fromPartial({
    stakerAddr: f.staker_addr,
    pop: { btcSigType: f.pop.btc_sig_type, btcSig: h(f.pop.btc_sig) },
    btcPk: h(f.btc_pk), fpBtcPkList: f.fp_btc_pk_list.map(h),
    stakingTime: f.staking_time, stakingValue: f.staking_value, stakingTx: h(f.staking_tx),
    stakingTxInclusionProof: f.staking_tx_inclusion_proof === null ? undefined : {
      key: { index: f.staking_tx_inclusion_proof.index, hash: h(f.staking_tx_inclusion_proof.hash) },
      proof: h(f.staking_tx_inclusion_proof.proof) },
    slashingTx: h(f.slashing_tx), delegatorSlashingSig: h(f.delegator_slashing_sig),
    unbondingTime: f.unbonding_time, unbondingTx: h(f.unbonding_tx), unbondingValue: f.unbonding_value,
    unbondingSlashingTx: h(f.unbonding_slashing_tx),
    delegatorUnbondingSlashingSig: h(f.delegator_unbonding_slashing_sig),
  });
  const enc = hex(btcstakingtx.MsgCreateBTCDelegation.encode(msg).finish());
  const dec = btcstakingtx.MsgCreateBTCDelegation.decode(h(m.l2kit_hex));
  out.create.push({ name: m.name, fields: f, babylon_proto_ts_hex: enc,
    decoded_staker_addr: dec.stakerAddr, decoded_staking_value: dec.stakingValue,
    decoded_slashing_sig: hex(dec.delegatorSlashingSig), decoded_pop_type: dec.pop.btcSigType });
}
const a = doc.add_proof.fields;
const am = btcstakingtx.MsgAddBTCDelegationInclusionProof.fromPartial({ signer: a.signer, stakingTxHash: a.staking_tx_hash,
  stakingTxInclusionProof: { key: { index: a.proof.index, hash: h(a.proof.hash) }, proof: h(a.proof.proof) } });
out.add_proof = { fields: a, babylon_proto_ts_hex: hex(btcstakingtx.MsgAddBTCDelegationInclusionProof.encode(am).finish()) };
console.log(JSON.stringify(out, null, 1));
