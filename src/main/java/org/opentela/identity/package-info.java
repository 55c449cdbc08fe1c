/**
 * Node identity: an Ed25519 key pair per node and its peer id, {@code Qm…} = base58btc of the sha2-256
 * multihash of the libp2p protobuf encoding of the public key. {@code --seed N} derives the key from N;
 * {@link org.opentela.identity.IdentitySource} decides where a node's key comes from, for {@code otela start}
 * and {@code otela peer-id} alike.
 */
package org.opentela.identity;
