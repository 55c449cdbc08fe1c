package org.opentela.routing;

import org.apache.pekko.actor.typed.ActorRef;
import org.opentela.proxy.ServiceProxy;

/**
 * One node offering one service, as the router sees it: where to send requests ({@code proxy}) and
 * the node's reported load (a tie-breaker; 0 when unknown).
 */
public record Provider(String peerId, ActorRef<ServiceProxy.Command> proxy, double loadScore, boolean local) {}
